import CryptodModel

extension ExactDecimal {
    /// The same number times 100, exactly: a fraction (`"0.0068"`, Bybit's `price24hPcnt`) as a percent
    /// (`"0.68"`).
    ///
    /// Multiplying by 100 only moves the decimal point, so the mantissa is kept and the scale drops by two;
    /// below scale 2 the mantissa takes the missing zeros (`"0.5"` → `"50"`, `"1"` → `"100"`). No digit is
    /// ever rounded and no `Double` is involved.
    ///
    /// - Returns: `nil` when the result would have more than ``ExactDecimal/maxDigits`` digits.
    public func fractionToPercent() -> ExactDecimal? {
        if scale >= 2 { return ExactDecimal(mantissa: mantissa, scale: scale - 2) }
        let factor: Int128 = scale == 1 ? 10 : 100
        let (product, overflow) = mantissa.multipliedReportingOverflow(by: factor)
        guard !overflow else { return nil }
        return ExactDecimal(mantissa: product, scale: 0)
    }
}

/// The small durable record of an outbound stream: its epoch and the sequence numbers it has used.
///
/// Sequence numbers are *reserved* in blocks before use (`reservedThrough`), so a sender that crashes and
/// restarts continues above anything it may have sent: sequence numbers are never reused within an epoch,
/// and the receiver sees frames lost in the crash as an explicit gap instead of silently dropping new
/// frames as "duplicates". `clean` records a graceful shutdown, after which `nextSequence` is exact.
struct StreamStateFile: Equatable {
    var epoch: UInt64
    var nextSequence: UInt64
    var reservedThrough: UInt64
    var clean: Bool

    static let reservationBlock: UInt64 = 65_536

    func encoded() -> [UInt8] {
        Array(
            "cryptod-stream v1 epoch=\(epoch) next=\(nextSequence) reserved=\(reservedThrough) clean=\(clean ? 1 : 0)\n"
                .utf8)
    }

    init(epoch: UInt64, nextSequence: UInt64, reservedThrough: UInt64, clean: Bool) {
        self.epoch = epoch
        self.nextSequence = nextSequence
        self.reservedThrough = reservedThrough
        self.clean = clean
    }

    init?(bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self).trimmingSuffixNewlines()
        var fields: [String: UInt64] = [:]
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0] == "cryptod-stream", parts[1] == "v1" else { return nil }
        for part in parts.dropFirst(2) {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let value = UInt64(pair[1]) else { return nil }
            fields[String(pair[0])] = value
        }
        guard let epoch = fields["epoch"], let next = fields["next"], let reserved = fields["reserved"],
            let clean = fields["clean"], next >= 1, reserved >= next - 1
        else { return nil }
        self.init(epoch: epoch, nextSequence: next, reservedThrough: reserved, clean: clean == 1)
    }
}

extension String {
    func trimmingSuffixNewlines() -> String {
        var copy = self
        while copy.hasSuffix("\n") { copy.removeLast() }
        return copy
    }
}

/// The rows of a result as text (the server's output format), plus the command's row count.
struct PostgresRows {
    var values: [[String?]]
    /// `INSERT 0 n`, `UPDATE n`, `COPY n`: the `n`.
    var affected: Int

    /// The first column of the first row.
    var scalar: String? { values.first?.first ?? nil }
}

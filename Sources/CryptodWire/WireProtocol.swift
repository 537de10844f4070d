/// Constants of the cryptod inter-process protocol. The byte-level specification is `docs/protocol.md`.
///
/// Bump ``version`` whenever any payload encoding changes, and add a line to the version history in
/// docs/protocol.md. The golden-bytes tests (Tests/CryptodWireTests/Golden) fail when an encoding changes
/// without regenerating them, which is the reminder.
public enum WireProtocol {
    /// The protocol version this build speaks.
    public static let version: UInt16 = 3
    /// The oldest version this build still accepts. Version 2 changed the market-data payloads (the origin
    /// byte), so this build cannot decode version 1; every process ships together. Version 3 only added
    /// `marketBatch`, so a version-2 peer is still served: nothing is batched to it.
    public static let minimumVersion: UInt16 = 2
    /// The first version with `marketBatch` (0x0109): a sender batches market events only on a link whose
    /// negotiated version is at least this.
    public static let marketBatchVersion: UInt16 = 3
    /// Bytes in every frame header.
    public static let headerSize = 16
    /// Default cap on a frame's payload; links may lower it (config `delivery.max_frame_bytes`).
    public static let defaultMaxFrameBytes = 16 * 1024 * 1024
    /// No configuration may raise a frame above this.
    public static let absoluteMaxFrameBytes = 1024 * 1024 * 1024
}

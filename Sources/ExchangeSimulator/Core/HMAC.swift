import CLibCrypto

/// HMAC and digests through the system libcrypto (signature checks of private endpoints).
package enum Digest {
    /// Lowercase hex of HMAC-SHA256(key, message).
    package static func hmacSHA256Hex(key: String, message: String) -> String {
        self.hmac(md: EVP_sha256(), key: key, message: message)
    }

    /// Lowercase hex of HMAC-SHA512(key, message).
    package static func hmacSHA512Hex(key: String, message: String) -> String {
        self.hmac(md: EVP_sha512(), key: key, message: message)
    }

    private static func hmac(md: OpaquePointer?, key: String, message: String) -> String {
        let keyBytes = Array(key.utf8)
        let messageBytes = Array(message.utf8)
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        keyBytes.withUnsafeBufferPointer { keyPointer in
            messageBytes.withUnsafeBufferPointer { messagePointer in
                _ = HMAC(
                    md, keyPointer.baseAddress, Int32(keyBytes.count), messagePointer.baseAddress, messageBytes.count,
                    &out, &length)
            }
        }
        return self.hex(out.prefix(Int(length)))
    }

    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Constant-time comparison of two ASCII strings, case-insensitive (hex signatures).
    package static func equalHex(_ a: String, _ b: String) -> Bool {
        let x = Array(a.lowercased().utf8)
        let y = Array(b.lowercased().utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

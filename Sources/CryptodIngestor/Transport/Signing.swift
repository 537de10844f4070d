import CLibCrypto
import CryptodExchanges

/// HMAC-SHA256/512 through the system libcrypto, for the adapters' signed key checks.
enum Signing {
    static let signer = HMACSigner { algorithm, key, message in
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let md = algorithm == .sha256 ? EVP_sha256() : EVP_sha512()
        key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                _ = HMAC(
                    md, keyBytes.baseAddress, Int32(key.count),
                    messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count, &digest, &length)
            }
        }
        return Array(digest.prefix(Int(length)))
    }
}

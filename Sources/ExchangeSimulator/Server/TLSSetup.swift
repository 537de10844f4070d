import CLibCrypto
import Foundation
import NIOSSL

/// Builds the server TLS context: a given PEM pair, or a self-signed certificate for `localhost`,
/// 127.0.0.1 and ::1 generated at start-up with libcrypto (optionally written out for clients).
package enum TLSSetup {
    package struct Failure: Error, CustomStringConvertible, Sendable {
        package var description: String
    }

    /// The PEM certificate and key to serve.
    package static func material(options: SimulatorOptions) throws -> (certificate: String, key: String) {
        if let certificatePath = options.tlsCertificatePath, let keyPath = options.tlsKeyPath {
            guard let certificate = try? String(contentsOfFile: certificatePath, encoding: .utf8),
                let key = try? String(contentsOfFile: keyPath, encoding: .utf8)
            else { throw Failure(description: "cannot read --tls-cert/--tls-key") }
            return (certificate, key)
        }
        let generated = try self.generateSelfSigned()
        if let out = options.tlsCertificateOut {
            do {
                try generated.certificate.write(toFile: out, atomically: true, encoding: .utf8)
            } catch {
                throw Failure(description: "cannot write certificate to \(out): \(error)")
            }
        }
        return generated
    }

    /// A fresh self-signed P-256 certificate valid for 825 days.
    package static func generateSelfSigned() throws -> (certificate: String, key: String) {
        var certificate: UnsafeMutablePointer<CChar>?
        var key: UnsafeMutablePointer<CChar>?
        guard cryptod_make_self_signed(&certificate, &key, 825) == 1, let certificate, let key else {
            throw Failure(description: "libcrypto could not generate a self-signed certificate")
        }
        defer {
            free(certificate)
            free(key)
        }
        return (String(cString: certificate), String(cString: key))
    }

    /// An NIOSSL server context for the material.
    package static func context(options: SimulatorOptions) throws -> NIOSSLContext {
        let material = try self.material(options: options)
        let certificates = try NIOSSLCertificate.fromPEMBytes(Array(material.certificate.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(material.key.utf8), format: .pem)
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
        return try NIOSSLContext(configuration: configuration)
    }
}

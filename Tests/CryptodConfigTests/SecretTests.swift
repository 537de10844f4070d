import CryptodModel
import Foundation
import Testing

@testable import CryptodConfig

/// API secrets never appear in errors, dumps or `config show`; readable files holding them draw a warning.
@Suite struct SecretTests {
    let secret = "hunter2-very-secret"

    @Test func secretStringNeverPrintsItself() {
        let s = SecretString(secret)
        var dumped = ""
        dump(s, to: &dumped)
        for text in [s.description, s.debugDescription, "\(s)", String(reflecting: s), dumped] {
            #expect(!text.contains(secret), "\(text)")
            #expect(text.contains("<redacted>"), "\(text)")
        }
        #expect(s.revealed == secret)
        #expect(SecretString("").description == "")
    }

    @Test func loadedSecretIsRedactedInDescriptionsAndShow() throws {
        let loaded = try load(
            "[exchanges.binance]\napi_secret = \"\(secret)\"\napi_key = \"public-key\"\n", fileMode: 0o600)
        let exchange = try #require(loaded.configuration.exchange(.binance))
        #expect(exchange.apiSecret.revealed == secret)
        var dumped = ""
        dump(loaded.configuration, to: &dumped)
        for text in [
            String(describing: exchange), String(reflecting: loaded.configuration), dumped, loaded.effectiveText(),
        ] {
            #expect(!text.contains(secret))
        }
        #expect(loaded.effectiveText().contains("api_secret = \"<redacted>\""))
        #expect(loaded.effectiveText().contains("api_key = \"public-key\""))
        #expect(loaded.warnings.isEmpty, "mode 0600 is fine: \(loaded.warnings)")
    }

    @Test func secretValuesAreRedactedInErrors() throws {
        let bad = try #require(singleError("[exchanges.bybit]\napi_secret = [\"\(secret)\"]\n"))
        #expect(bad.value == "\"<redacted>\"")
        #expect(!bad.description.contains(secret))
        let misspelt = try #require(singleError("[exchanges.bybit]\napi_secrt = \"\(secret)\"\n"))
        #expect(!misspelt.description.contains(secret))
        #expect(misspelt.suggestion == "exchanges.bybit.api_secret")
        let topLevel = try #require(singleError("password = \"\(secret)\"\n"))
        #expect(!topLevel.description.contains(secret))
        let misplaced = try #require(singleError("api_secret = \"\(secret)\"\n"))
        #expect(!misplaced.description.contains(secret))
        #expect(misplaced.suggestion == "exchanges.binance.api_secret")
    }

    @Test(arguments: [(0o644, true), (0o640, true), (0o604, true), (0o600, false), (0o400, false)])
    func secretInReadableFileWarns(mode: Int, warns: Bool) throws {
        let loaded = try load("[exchanges.whitebit]\napi_secret = \"\(secret)\"\n", fileMode: mode)
        let warning = loaded.warnings.first { $0.kind == .secretInReadableFile }
        #expect((warning != nil) == warns)
        if let warning {
            #expect(warning.message.contains("exchanges.whitebit.api_secret"))
            #expect(warning.message.contains("mode \(String(mode, radix: 8))"))
            #expect(warning.message.contains("CRYPTOD_EXCHANGES_WHITEBIT_API_SECRET"))
            #expect(!warning.description.contains(secret))
        }
    }

    @Test func secretFromTheEnvironmentDoesNotWarn() throws {
        let loaded = try load(
            "[exchanges.whitebit]\n", environment: ["CRYPTOD_EXCHANGES_WHITEBIT_API_SECRET": secret], fileMode: 0o644)
        #expect(loaded.configuration.exchange(.whitebit)?.apiSecret.revealed == secret)
        #expect(!loaded.warnings.contains { $0.kind == .secretInReadableFile })
        #expect(!loaded.effectiveText().contains(secret))
    }
}

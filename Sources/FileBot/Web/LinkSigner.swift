import Crypto
public import Foundation

/// Signs and checks link tokens: `base64url(claims JSON) "." base64url(HMAC-SHA256(key, "seed-link-1." payload))`.
/// A token that is malformed, forged, signed with another key or expired is simply not valid: callers answer
/// them all the same way.
public struct LinkSigner: Sendable {
    private let key: SymmetricKey

    /// - Parameter key: at least 32 random bytes; rotating it revokes every link made with the old one.
    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    /// The signed token carrying `claims` (the form above).
    public func token(for claims: LinkClaims) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return self.token(payload: Self.base64URL((try? encoder.encode(claims)) ?? Data()))
    }

    /// `payload` (base64url text) with its tag: what `token(for:)` makes of encoded claims. Package-wide so the
    /// fuzzer can sign what it likes and reach the claims decoder behind the tag check.
    package func token(payload: String) -> String {
        payload + "." + Self.base64URL(Data(self.tag(payload)))
    }

    /// The claims of a valid token, or `nil`.
    public func claims(from token: Substring, now: Date) -> LinkClaims? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count <= 4096, let tag = Self.data(base64URL: parts[1]),
            // In time that does not depend on where a forged tag differs.
            HMAC<SHA256>.isValidAuthenticationCode(tag, authenticating: Self.signed(parts[0]), using: self.key),
            let json = Self.data(base64URL: parts[0]),
            let claims = try? JSONDecoder().decode(LinkClaims.self, from: json),
            TimeInterval(claims.expires) > now.timeIntervalSince1970
        else { return nil }
        return claims
    }

    private func tag(_ payload: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Self.signed(payload[...]), using: self.key))
    }

    /// What the tag covers: the payload behind a version label, so a tag cannot be reused for another format.
    private static func signed(_ payload: Substring) -> [UInt8] { Array(("seed-link-1." + payload).utf8) }

    package static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func data(base64URL text: Substring) -> Data? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}

/// `Content-Disposition: attachment` with the file's name as an ASCII fallback and, for any name, RFC 5987's
/// `filename*=UTF-8''…` (RFC 6266), so browsers save it under its real name.
public enum ContentDisposition {
    /// The header's value for a download saved as `filename`.
    public static func attachment(filename: String) -> String {
        let fallback = String(filename.unicodeScalars.map { s -> Character in
            s.isASCII && s.value >= 0x20 && s != "\"" && s != "\\" && s.value != 0x7F ? Character(s) : "_"
        })
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(Self.percentEncoded(filename))"
    }

    /// RFC 5987's `attr-char` kept, every other byte of the UTF-8 form percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80, c.isLetter || c.isNumber || "!#$&+-.^_`|~".contains(c) {
                out.append(c)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - self.count)) + self }
}

/// Every command verb the server knows: the one vocabulary of the session machine, `HELP` and the pre-login rules.
///
/// A verb outside this enum is answered 500. Obsolete RFC 775 spellings (`XCWD`, `XPWD`…) are their own cases so
/// `HELP` lists them, and ``canonical`` maps them onto the command they stand for.
package enum FTPVerb: String, CaseIterable, Sendable, Hashable {
    case abor = "ABOR", acct = "ACCT", adat = "ADAT", allo = "ALLO", appe = "APPE", auth = "AUTH", avbl = "AVBL"
    case ccc = "CCC", cdup = "CDUP", conf = "CONF", cwd = "CWD", dele = "DELE", enc = "ENC", eprt = "EPRT"
    case epsv = "EPSV", feat = "FEAT", hash = "HASH", help = "HELP", host = "HOST", list = "LIST", mdtm = "MDTM"
    case mfmt = "MFMT", mic = "MIC", mkd = "MKD", mlsd = "MLSD", mlst = "MLST", mode = "MODE", nlst = "NLST"
    case noop = "NOOP", opts = "OPTS", pass = "PASS", pasv = "PASV", pbsz = "PBSZ", port = "PORT", prot = "PROT"
    case pwd = "PWD", quit = "QUIT", rang = "RANG", rein = "REIN", rest = "REST", retr = "RETR", rmd = "RMD"
    case rnfr = "RNFR", rnto = "RNTO", site = "SITE", size = "SIZE", smnt = "SMNT", stat = "STAT", stor = "STOR"
    case stou = "STOU", stru = "STRU", syst = "SYST", type = "TYPE", user = "USER", xcup = "XCUP", xcwd = "XCWD"
    case xmkd = "XMKD", xpwd = "XPWD", xrmd = "XRMD"

    /// The command an RFC 775 alias stands for; every other verb is its own.
    package var canonical: FTPVerb {
        switch self {
        case .xcup: .cdup
        case .xcwd: .cwd
        case .xmkd: .mkd
        case .xpwd: .pwd
        case .xrmd: .rmd
        default: self
        }
    }

    /// RFC 2228 / RFC 4217 security commands: answered 502 when the server has no certificate.
    package var isSecurity: Bool {
        switch self {
        case .auth, .pbsz, .prot, .ccc, .adat, .mic, .conf, .enc: true
        default: false
        }
    }

    /// Answered before login as well as after (everything else needs a logged-in user).
    package var isAllowedBeforeLogin: Bool {
        switch self {
        case .user, .pass, .quit, .noop, .syst, .feat, .help, .opts, .acct, .host: true
        default: self.isSecurity
        }
    }

    /// Leaves a pending `REST`/`RANG` marker for the transfer that follows: data-connection setup and `TYPE` may sit
    /// between a marker and its transfer (ftplib sends `PORT` after `REST`).
    package var keepsRestartMarker: Bool {
        switch self {
        case .pasv, .epsv, .port, .eprt, .type, .noop: true
        default: false
        }
    }

    /// Answered 501 without an argument.
    package var needsPath: Bool {
        switch self.canonical {
        case .cwd, .dele, .mkd, .rmd, .rnfr, .rnto, .size, .mdtm, .retr, .stor, .appe: true
        default: false
        }
    }

    /// Runs while a transfer is under way instead of waiting for it (RFC 959 §4.1.3: ABOR, STAT and QUIT).
    package var interruptsTransfer: Bool {
        switch self {
        case .abor, .stat, .quit: true
        default: false
        }
    }

    /// The argument's shape for `HELP VERB`.
    package var syntax: String {
        switch self {
        case .user: "<name>"
        case .pass: "<password>"
        case .cwd, .retr, .stor: "<path>"
        case .port: "<h1,h2,h3,h4,p1,p2>"
        case .eprt: "|<proto>|<address>|<port>|"
        case .type: "{A|I|L 8}"
        case .rest: "<offset>"
        case .mfmt: "<YYYYMMDDHHMMSS> <path>"
        case .hash: "<path>"
        case .rang: "<start> <end>"
        default: ""
        }
    }
}

extension FTPCommand {
    /// The verb when the server knows it.
    package var known: FTPVerb? { FTPVerb(rawValue: self.verb) }
}

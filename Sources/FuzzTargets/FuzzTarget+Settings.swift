import Balancer
import DiscordKit
import FTPKit
import OperationsHTTP

extension FuzzTarget {
    /// A password no input contains by chance: a place that shows it has leaked it.
    private static let secret = "Fz7-q0w-S3cr3t-never-shown"

    /// What operators write in configuration and on command lines: listening addresses, shard selections, catalog
    /// locations, advertised addresses, address blocks and byte counts. What parses prints back to text that
    /// parses the same, and a catalog's password is never in what it prints.
    static func settings(_ bytes: [UInt8]) {
        let s = Self.text(bytes)
        if let address = ListenAddress(parsing: s) {
            check((0...65535).contains(address.port), "port \(address.port)")
            check(ListenAddress(parsing: address.description) == address, "\(address) does not read back")
        }
        if let shards = try? ShardSelection(parsing: s) {
            check(!shards.ids.isEmpty && shards.ids.allSatisfy { (0..<shards.count).contains($0) }, "shards \(shards)")
            check((try? ShardSelection(parsing: shards.description)) == shards, "\(shards) does not read back")
        }
        if let range = try? IPAddressRange(s) {
            check((try? IPAddressRange(range.description)) == range, "\(range) does not read back")
        }
        if let count = FTPByteCount.parse(s) {
            check(FTPByteCount.parse(FTPByteCount.format(count)) == count, "\(count) does not read back")
        }
        if let advertised = try? FTPAdvertisedAddresses(parsing: s) {
            check((try? FTPAdvertisedAddresses(parsing: advertised.description)) == advertised, "\(advertised) does not read back")
        }
        Self.catalogLocations(s)
    }

    /// The password, given or in the URL, stays out of the location's description and out of every error.
    private static func catalogLocations(_ s: String) {
        guard !s.contains(Self.secret) else { return }
        for (text, password) in [(s, Self.secret), ("postgres://u:\(Self.secret)@" + s, nil), ("postgres://" + s, Self.secret)] {
            let shown: String
            do {
                shown = "\(try CatalogLocation(parsing: text, password: password))"
            } catch {
                shown = "\(error)"
            }
            check(!shown.contains(Self.secret), "\(text.debugDescription) shows its password: \(shown)")
        }
    }
}

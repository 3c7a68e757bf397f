import OperationsHTTP
import Testing

/// The one `HOST:PORT` parser behind `--http-address`, `--metrics-address` and their configuration keys.
@Suite(.tags(.unit), .inTestSet(.unit)) struct ListenAddressTests {
    @Test func hostsPortsAndBrackets() {
        #expect(ListenAddress(parsing: "127.0.0.1:8080") == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(ListenAddress(parsing: "files.internal:0") == ListenAddress(host: "files.internal", port: 0))
        #expect(ListenAddress(parsing: "[::1]:9100") == ListenAddress(host: "::1", port: 9100))
        #expect(ListenAddress(parsing: "[fe80::1%eth0]:9100")?.host == "fe80::1%eth0")
        #expect(ListenAddress(host: "::1", port: 9100).description == "[::1]:9100")
        #expect(ListenAddress(host: "10.8.0.2", port: 9100).description == "10.8.0.2:9100")
        for bad in ["", ":80", "localhost", "host:", "host:x", "host:65536", "host:-1", "127.0.0.1:80:9", "::1:9100",
                    "[::1]", "[]:80", "[::1:80", "::1]:80", "[[::1]]:80", "[a]b]:80"] {
            #expect(ListenAddress(parsing: bad) == nil, "\(bad)")
        }
    }
}

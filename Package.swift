// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Seed",
    // Built and tested on Linux only (x86_64, glibc): sendfile, openat2, TCP_INFO and the allocator tuning are
    // Linux code paths, and no macOS build has been run, so none is claimed.
    products: [
        .library(name: "FTPKit", targets: ["FTPKit"]),
        .library(name: "Balancer", targets: ["Balancer"]),
        .library(name: "DiscordKit", targets: ["DiscordKit"]),
        .library(name: "FileBot", targets: ["FileBot"]),
        // An offline Discord for bot tests (also usable by any DiscordKit user).
        .library(name: "DiscordEmulator", targets: ["DiscordEmulator"]),
        // The emulator as a program with a JSON control API: for bots in any language (Docs/discord-emulator.md).
        .executable(name: "discord-emulator", targets: ["discord-emulator"]),
        .executable(name: "ftpbot", targets: ["ftpbot"]),
        .executable(name: "ftpd", targets: ["ftpd"]),
    ],
    traits: [
        // FTPS through the system OpenSSL. Off (`--disable-default-traits`), FTPKit builds without libssl-dev: plain
        // FTP only (TLS settings fail with a clear TLSError); digests and PBKDF2 come from swift-crypto either way.
        .trait(name: "OpenSSL", description: "FTPS through the system OpenSSL (libssl-dev)."),
        .default(enabledTraits: ["OpenSSL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // DiscordKit: REST with streaming bodies and pooled HTTPS, and the gateway's WebSocket client.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        // Operations: metrics through the swift-metrics API, exposed in Prometheus' text format.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        // FileBot's web front end (share links, the upload page): streaming request and response bodies with
        // backpressure, routing, and a server that runs as a swift-service-lifecycle service.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        // The HTTP parts Hummingbird's channel carries (NIOHTTPTypes, and its HTTP/1 conversion), for an upload's
        // `100 Continue`; already in the graph through Hummingbird.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // A channel with backpressure between a multipart body's reader and the cluster's upload.
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.0.2"),
        // Lifetimes: servers, the bot and the emulator run as services in a ServiceGroup that turns SIGTERM/SIGINT
        // into a graceful shutdown (already in the graph through Hummingbird).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.8.0"),
        // The Balancer's shared catalog for several bot processes: PostgreSQL's wire protocol, SCRAM, TLS and a
        // connection pool, which no few lines of ours could replace (brings swift-crypto, also wanted for digests).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // TLS settings for the catalog's PostgreSQL connections (already in the graph through async-http-client).
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // SHA-256/SHA-1/MD5, HMAC and PBKDF2 in every build (BoringSSL's reviewed, assembly-backed code, vendored):
        // replaces our own Swift hashes and libcrypto's digests (already in the graph through postgres-nio).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"6.0.0"),
    ],
    targets: [
        // The system OpenSSL (libssl-dev): TLS for FTPS (the `OpenSSL` trait).
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // Linux system calls without a glibc wrapper (openat2, renameat2): the storage's path jail.
        .systemLibrary(name: "CLinuxShims"),
        .target(
            name: "FTPKit",
            dependencies: [
                "CLinuxShims",
                .target(name: "COpenSSL", condition: .when(traits: ["OpenSSL"])),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The parsers that read network and operator input, as functions of bytes: fuzzed by libFuzzer through
        // seed-fuzz (scripts/fuzz), replayed from the committed corpus by FuzzRegressionTests.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "FTPKit", "DiscordKit", "FileBot", "Balancer", "OperationsHTTP",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/FuzzTargets"
        ),
        .executableTarget(
            name: "seed-fuzz",
            dependencies: ["FuzzTargets"],
            path: "Sources/seed-fuzz"
        ),
        // The programs' operations endpoint (`/metrics`, `/health`): not part of any library.
        .target(
            name: "OperationsHTTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ftpd",
            dependencies: [
                "FTPKit", "OperationsHTTP",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The system SQLite (libsqlite3-dev) for the Balancer's catalog: a few statements do not earn a package.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // CRC-32C on the CPU's CRC32 instruction, which Swift cannot reach: the cluster's check of every download.
        .target(name: "CCRC32C"),
        .target(
            name: "Balancer",
            dependencies: [
                "FTPKit", "CSQLite", "CCRC32C",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // Not a product: scripts/bench-catalog runs it against SQLite and PostgreSQL.
        .executableTarget(
            name: "catalog-bench",
            dependencies: ["Balancer", "FileBot", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/CatalogBench",
            swiftSettings: strict
        ),
        // Not a product: Benchmarks/cluster_bench.py runs it to compare the cluster path with a direct transfer.
        .executableTarget(
            name: "cluster-bench",
            dependencies: [
                "Balancer", "FTPKit",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/ClusterBench",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "balancer-sim",
            dependencies: ["Balancer"],
            path: "Benchmarks/BalancerSim",
            swiftSettings: strict
        ),
        // What several test targets share: finding the built executables, running processes, a PostgreSQL server,
        // and the tags that sort suites into unit / interop / slow.
        .target(name: "SeedTestSupport", dependencies: ["FTPKit"], path: "Tests/SeedTestSupport", swiftSettings: strict),
        // The in-process FTP node the Balancer and bot tests share (killed and restarted on its port).
        .target(
            name: "FTPTestSupport",
            dependencies: ["FTPKit", .product(name: "Logging", package: "swift-log")],
            path: "Tests/FTPTestSupport", swiftSettings: strict),
        .testTarget(
            name: "BalancerTests",
            dependencies: [
                "Balancer", "FTPKit", "SeedTestSupport", "FTPTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The system zlib (zlib1g-dev) for the gateway's zlib-stream transport compression.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "DiscordKit",
            dependencies: [
                "CZlib",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // An offline Discord (REST, gateway, CDN) for tests and for bot authors without a token.
        .target(
            name: "DiscordEmulator",
            dependencies: [
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "discord-emulator",
            dependencies: [
                "DiscordEmulator", "OperationsHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // What the Discord test targets share: reading the emulator's wire JSON with DiscordKit's models.
        .target(
            name: "DiscordTestSupport",
            dependencies: ["DiscordKit", "DiscordEmulator"],
            path: "Tests/DiscordTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "DiscordKitTests",
            dependencies: [
                "DiscordKit", "DiscordEmulator", "DiscordTestSupport", "SeedTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The file bot's use cases (upload, download, list, delete, status) and its front ends (console, Discord),
        // shared by every way of running it; `ftpbot` only wires them.
        .target(
            name: "FileBot",
            dependencies: [
                "FTPKit", "Balancer", "DiscordKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // Its HTTP/1 child channel, wrapped to read request bodies in larger pieces (WebChildChannel).
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ftpbot",
            dependencies: [
                "FTPKit", "Balancer", "DiscordKit", "FileBot", "OperationsHTTP",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "FTPBotTests",
            dependencies: [
                "FTPKit", "DiscordKit", "DiscordEmulator", "DiscordTestSupport", "FileBot", "Balancer", "SeedTestSupport",
                "FTPTestSupport", "OperationsHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Not a product: scripts/bench runs it to compare the client with curl.
        .executableTarget(
            name: "ftp-client-bench",
            dependencies: ["FTPKit"],
            path: "Benchmarks/FTPClientBench",
            swiftSettings: strict
        ),
        .testTarget(
            name: "FuzzTargetsTests",
            dependencies: ["FuzzTargets", "SeedTestSupport"],
            path: "Tests/FuzzTargetsTests"
        ),
        .testTarget(
            name: "FTPKitTests",
            dependencies: [
                "FTPKit", "SeedTestSupport", "CLinuxShims",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.1
// libtokenauth: API access tokens for API gateways, as a C library written in Swift.
// Build the shippable libtokenauth.so with `make` (static Swift runtime, ta_* exports only).
import PackageDescription

let package = Package(
    name: "libtokenauth",
    products: [
        .library(name: "tokenauth", type: .dynamic, targets: ["TokenAuth"]),
        // The `tokenauth` console (mk/cli.mk installs it as bin/tokenauth; a library and an executable
        // product cannot share a name).
        .executable(name: "tokenauth-cli", targets: ["TokenAuthCLI"]),
    ],
    // `Console` builds `tokenauth serve` (the web console and forward-auth endpoint, on Hummingbird).
    // Only the release CLI enables it (mk/cli.mk); the debug build of `swift test` leaves it off, so
    // a CI run compiles Hummingbird and its dependencies once.
    traits: [
        .trait(name: "Console", description: "tokenauth serve: the web console and forward-auth endpoint"),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Without its default traits (swift-configuration, full Foundation): nothing the console uses.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL",
                       providers: [.apt(["libssl-dev"])]),
        // libpq's header, for the PostgreSQL backend (a postgresql:// URI given to ta_open). The
        // library itself is loaded with dlopen on first use, never linked (see LibPQ.swift).
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", providers: [.apt(["libpq-dev"])]),
        // The public C header, imported so that `@c @implementation` checks every export against it.
        .systemLibrary(name: "CTokenAuth", path: "include"),
        .target(name: "TokenAuthCore", dependencies: ["CSQLite", "COpenSSL", "CLibPQ"]),
        .target(name: "TokenAuth", dependencies: ["CTokenAuth", "TokenAuthCore"], exclude: ["tokenauth.map"]),
        .testTarget(name: "TokenAuthCoreTests", dependencies: ["TokenAuthCore"]),
        .testTarget(name: "TokenAuthABITests", dependencies: ["TokenAuth", "CTokenAuth"]),
        // The web console (`tokenauth serve`): empty unless the `Console` trait is enabled.
        .target(name: "TokenAuthWeb", dependencies: [
            "TokenAuthCore",
            .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Console"])),
            .product(name: "Mustache", package: "swift-mustache", condition: .when(traits: ["Console"])),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["Console"])),
            .product(name: "Logging", package: "swift-log", condition: .when(traits: ["Console"])),
            .product(name: "HTTPTypes", package: "swift-http-types", condition: .when(traits: ["Console"])),
            .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["Console"])),
        ]),
        .executableTarget(name: "TokenAuthCLI", dependencies: [
            "TokenAuthCore", "CTokenAuth", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .target(name: "TokenAuthWeb", condition: .when(traits: ["Console"])),
            .product(name: "Logging", package: "swift-log", condition: .when(traits: ["Console"])),
        ]),
        .testTarget(name: "TokenAuthCLITests", dependencies: ["TokenAuthCLI"]),
    ]
)

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
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
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
        .executableTarget(name: "TokenAuthCLI", dependencies: [
            "TokenAuthCore", "CTokenAuth", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "TokenAuthCLITests", dependencies: ["TokenAuthCLI"]),
    ]
)

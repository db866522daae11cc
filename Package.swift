// swift-tools-version:6.1
// libtokenauth: API access tokens for API gateways, as a C library written in Swift.
// Build the shippable libtokenauth.so with `make` (static Swift runtime, ta_* exports only).
import PackageDescription

let package = Package(
    name: "libtokenauth",
    products: [
        .library(name: "tokenauth", type: .dynamic, targets: ["TokenAuth"]),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL",
                       providers: [.apt(["libssl-dev"])]),
        // The public C header, imported so that `@c @implementation` checks every export against it.
        .systemLibrary(name: "CTokenAuth", path: "include"),
        .target(name: "TokenAuthCore", dependencies: ["CSQLite", "COpenSSL"]),
        .target(name: "TokenAuth", dependencies: ["CTokenAuth", "TokenAuthCore"], exclude: ["tokenauth.map"]),
        .testTarget(name: "TokenAuthCoreTests", dependencies: ["TokenAuthCore"]),
        .testTarget(name: "TokenAuthABITests", dependencies: ["TokenAuth", "CTokenAuth"]),
    ]
)

// swift-tools-version: 6.2
import PackageDescription

let package = Package(
  name: "deploy",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "deploy", targets: ["deploy"]),
    .library(name: "DeployKit", targets: ["DeployKit"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
  ],
  targets: [
    // libssh2 (and the OpenSSL HMAC it is built on) from Debian's -dev packages.
    .systemLibrary(
      name: "CLibSSH2",
      pkgConfig: "libssh2",
      providers: [.apt(["libssh2-1-dev", "libssl-dev"])]
    ),
    // Host shell quoted by construction: the only module that can splice text into a script.
    .target(name: "HostShell"),
    .target(
      name: "DeployKit",
      dependencies: [
        "CLibSSH2",
        "HostShell",
        .product(name: "Yams", package: "Yams"),
        .product(name: "GRDB", package: "GRDB.swift"),
      ]
    ),
    .executableTarget(
      name: "deploy",
      dependencies: [
        "DeployKit",
        "HostShell",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"),
      ]
    ),
    // libFuzzer's entry point over every parser of untrusted input (scripts/fuzz.sh); a plain
    // build makes it a replayer of corpus files.
    .executableTarget(name: "deploy-fuzz", dependencies: ["DeployKit", "HostShell"]),
    .testTarget(name: "HostShellTests", dependencies: ["HostShell"]),
    .testTarget(name: "DeployKitTests", dependencies: ["DeployKit", "HostShell"]),
    .testTarget(name: "IntegrationTests", dependencies: ["DeployKit", "HostShell"]),
  ]
)

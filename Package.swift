// swift-tools-version: 6.2
import PackageDescription

// The targets are the layers, each above the ones it depends on (SwiftPM refuses cycles, so the
// layering cannot be broken by accident); README.md draws the graph. `deploy` (the command
// line) parses arguments and renders: everything it shows is computed below it.
/// Every library layer: the command line and the tests use them all.
let libraries: [Target.Dependency] = [
  "DeployBadges", "DeployBuild", "DeployBuildAPI", "DeployConfig", "DeployExec", "DeployInventory",
  "DeployLedger", "DeployPipeline", "DeployPlay", "DeploySSH", "DeploySupport", "DeployTemplating",
  "HostScripts", "HostShell",
]

let package = Package(
  name: "deploy",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "deploy", targets: ["deploy"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
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
    // Values and helpers every layer uses: errors, exit codes, JSON, clocks, child processes.
    .target(name: "DeploySupport", dependencies: ["HostShell"]),
    // SVG status badges.
    .target(name: "DeployBadges", dependencies: ["DeploySupport"]),
    // What runs on a host, as ShellScripts beside the parsers of what they print.
    .target(name: "HostScripts", dependencies: ["HostShell", "DeploySupport"]),
    // Ansible inventories (INI, YAML), host patterns, YAML documents.
    .target(
      name: "DeployInventory",
      dependencies: ["DeploySupport", .product(name: "Yams", package: "Yams")]),
    // The explorer's build API (build folders, build_info.yml, the HTTP answers).
    .target(
      name: "DeployBuildAPI",
      dependencies: ["DeploySupport", "DeployInventory", .product(name: "Yams", package: "Yams")]),
    // The deployment ledger (SQLite) and host journals.
    .target(
      name: "DeployLedger",
      dependencies: [
        "DeploySupport", "DeployInventory", .product(name: "GRDB", package: "GRDB.swift"),
      ]),
    // SSH: OpenSSH configuration, known hosts, libssh2 and OpenSSH transports, HTTP over SSH.
    .target(
      name: "DeploySSH",
      dependencies: [
        "HostShell", "DeploySupport", "DeployInventory", "CLibSSH2",
        .product(name: "Logging", package: "swift-log"),
      ]),
    // deploy.yml and deployer.ini: apps, stages, activation.
    .target(
      name: "DeployConfig",
      dependencies: [
        "HostShell", "DeploySupport", "HostScripts", "DeployInventory", "DeploySSH",
        .product(name: "Yams", package: "Yams"),
      ]),
    // Running one command on many hosts in parallel.
    .target(name: "DeployExec", dependencies: ["HostShell", "DeploySupport", "DeploySSH"]),
    // Jinja2 templates and expressions.
    .target(
      name: "DeployTemplating", dependencies: ["HostShell", "DeploySupport", "DeployBuildAPI"]),
    // Build plans, ECHR-OD workflows and the detached runner.
    .target(
      name: "DeployBuild",
      dependencies: [
        "HostShell", "DeploySupport", "HostScripts", "DeployInventory", "DeployConfig",
        .product(name: "Yams", package: "Yams"),
      ]),
    // Ansible playbooks: parsing, planning and the modules.
    .target(
      name: "DeployPlay",
      dependencies: [
        "HostShell", "DeploySupport", "DeployInventory", "DeploySSH", "DeployConfig", "DeployExec",
        "DeployTemplating", .product(name: "Yams", package: "Yams"),
      ]),
    // Deployments: stage sessions, locks, activation, rollback, apt promotion.
    .target(
      name: "DeployPipeline",
      dependencies: [
        "HostShell", "DeploySupport", "HostScripts", "DeployInventory", "DeployLedger", "DeploySSH",
        "DeployConfig", "DeployExec", "DeployBuild",
      ]),
    // Every parser of untrusted input, for the fuzzers (scripts/fuzz.sh).
    .target(
      name: "UntrustedInput",
      dependencies: [
        "DeploySupport", "HostScripts", "DeployInventory", "DeployBuildAPI", "DeployLedger",
        "DeploySSH", "DeployConfig", "DeployTemplating", "DeployBuild", "DeployPlay",
      ]),
    .executableTarget(
      name: "deploy",
      dependencies: libraries + [
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // libFuzzer's entry point over every parser of untrusted input (scripts/fuzz.sh); a plain
    // build makes it a replayer of corpus files.
    .executableTarget(
      name: "deploy-fuzz", dependencies: ["UntrustedInput", "DeployInventory", "HostShell"]),
    .testTarget(name: "HostShellTests", dependencies: ["HostShell"]),
    .testTarget(
      name: "DeployKitTests",
      dependencies: libraries + ["UntrustedInput"]),
    .testTarget(
      name: "IntegrationTests",
      dependencies: libraries),
  ]
)

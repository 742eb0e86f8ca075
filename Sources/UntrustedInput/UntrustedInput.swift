import DeployBuild
import DeployBuildAPI
import DeployConfig
import DeployInventory
import DeployLedger
import DeployPlay
import DeploySSH
import DeploySupport
import DeployTemplating
import Foundation
import HostScripts

/// Every parser that reads text `deploy` did not write itself: files operators write (project
/// files, inventories, playbooks, templates, ssh_config), files found in repositories and on
/// hosts (workflows, known_hosts, build_info.yml, .build_history) and what hosts answer (run,
/// lock and build listings, journals, HTTP). Each may reject its input, but only with a clear
/// error: never a crash, a hang or an empty message. The fuzzers (`Sources/deploy-fuzz`) and
/// the corpus regression test run them by name.
public enum UntrustedInput {
  public struct Parser: Sendable {
    public let name: String
    /// Parses `input`; a rejection is returned (and must say something), a crash is a bug.
    public let parse: @Sendable ([UInt8]) -> DeployError?
  }

  public static let parsers: [Parser] = [
    Parser(name: "project") { text in
      rejection { () throws(DeployError) in
        _ = try ProjectFile.parse(string(text), path: "deploy.yml")
      }
    },
    Parser(name: "inventory-ini") { text in
      rejection { () throws(DeployError) in
        _ = Inventory.detectFormat(of: string(text))
        let inventory = try Inventory.parse(text: string(text), file: "hosts", format: .ini)
        _ = try? inventory.hosts(matching: "all:!web:&db*")
      }
    },
    Parser(name: "inventory-yaml") { text in
      rejection { () throws(DeployError) in
        _ = try Inventory.parse(text: string(text), file: "hosts.yml", format: .yaml)
      }
    },
    Parser(name: "deployer-ini") { text in
      rejection { () throws(DeployError) in
        _ = try DeployerINI.parse(string(text), path: "deployer.ini")
      }
    },
    Parser(name: "playbook") { text in
      rejection { () throws(DeployError) in
        _ = try Playbook.parse(string(text), path: "site.yml")
      }
    },
    Parser(name: "template") { text in
      rejection { () throws(DeployError) in
        let template = try Template(string(text))
        // Rendering is bounded too: a template must not hang the controller.
        _ = try template.render([
          "name": .string("web1"), "items": .list([.string("a"), .int(2)]),
          "port": .int(8080), "flag": .bool(true),
        ])
      }
    },
    Parser(name: "workflow") { text in
      // The text is `workflows/release.yml`; one action is there to be named.
      rejection { () throws(DeployError) in
        _ = try WorkflowLoader.expand(
          name: "release", directory: "workflows",
          files: [
            "workflows/release.yml": string(text),
            "workflows/actions/fetch.yml": "title: Fetch\nrun: ./fetch.sh\nargs: {n: 1}\n",
          ], origin: "host:/srv/app/")
      }
    },
    Parser(name: "workflow-listing") { text in
      rejection { () throws(DeployError) in
        let files = WorkflowFiles.parse(output: string(text))
        _ = try WorkflowLoader.expand(
          name: "release", directory: "workflows", files: files, origin: "host:/srv/app/")
      }
    },
    Parser(name: "known-hosts") { text in
      _ = KnownHosts.parse(text, file: "known_hosts")
      return nil
    },
    Parser(name: "ssh-config") { text in
      rejection { () throws(DeployError) in
        _ = try SSHConfig.parse(text: string(text), file: "ssh_config", homeDirectory: "/home/u")
      }
    },
    Parser(name: "debian-version") { text in
      let parts = string(text).split(separator: "\n", maxSplits: 1).map(String.init)
      if let first = parts.first.flatMap(DebianVersion.init), parts.count > 1,
        let second = DebianVersion(parts[1])
      {
        _ = first < second
        _ = first == second
      }
      return nil
    },
    Parser(name: "build-info-yaml") { text in
      _ = BuildTime(buildInfo: PythonYAML.load(text))
      return nil
    },
    Parser(name: "build-history") { text in
      _ = BuildHistoryEntry.parse(text)
      return nil
    },
    Parser(name: "http-response") { text in
      _ = HTTPResponse.parse(text)
      return nil
    },
    Parser(name: "host-listings") { text in
      // What hosts answer: run, build, lock and apt listings, journals, metadata lines.
      let output = string(text)
      _ = RunRecord.parse(output)
      _ = BuildFolderListing.parse(output).previouslyServed(before: "x")
      _ = LockCommands.parse(output)
      _ = LockOwner(jsonLine: output)
      _ = RunMetadata(jsonLine: output)
      _ = Journal.parse(output)
      _ = AptCommands.parse(output)
      return nil
    },
    Parser(name: "extra-vars") { text in
      rejection { () throws(DeployError) in _ = try ExtraVars.parse(string(text)) }
    },
    Parser(name: "path-template") { text in
      rejection { () throws(DeployError) in
        let path = PathTemplate(string(text))
        try path.check()
        _ = try path.render(hostname: "web1", vars: ["app": .string("demo")])
      }
    },
  ]

  public static func parser(named name: String) -> Parser? {
    parsers.first { $0.name == name }
  }

  private static func string(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self)
  }

  private static func rejection(_ body: () throws(DeployError) -> Void) -> DeployError? {
    do {
      try body()
      return nil
    } catch {
      return error
    }
  }
}

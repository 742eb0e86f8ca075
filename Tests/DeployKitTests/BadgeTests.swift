import Foundation
import FoundationXML
import Testing

@testable import DeployBadges
@testable import DeployBuildAPI
@testable import DeploySSH
@testable import DeploySupport

@Suite("Badges")
struct BadgeTests {
  let badge = Badge(label: "ooni-api / prod", message: "1.0.80~pr760-20", color: .brightgreen)

  @Test func svgIsWellFormedXMLWithItsTitleAndSize() throws {
    let document = try XMLDocument(data: Data(badge.svg.utf8))
    let root = try #require(document.rootElement())
    #expect(root.name == "svg")
    #expect(root.uri == "http://www.w3.org/2000/svg")
    #expect(attribute(root, "role") == "img")
    #expect(
      attribute(root, "aria-label") == "ooni-api / prod: 1.0.80~pr760-20")
    #expect(attribute(root, "height") == "20")
    let title = root.elements(forName: "title").first?.stringValue
    #expect(title == "ooni-api / prod: 1.0.80~pr760-20")
    #expect(badge.svg.contains("fill=\"#4c1\""))
  }

  @Test func widthGrowsWithText() throws {
    func width(_ label: String, _ message: String) throws -> Int {
      let svg = Badge(label: label, message: message, color: .blue).svg
      let root = try #require(try XMLDocument(data: Data(svg.utf8)).rootElement())
      return try #require(Int(attribute(root, "width") ?? ""))
    }
    let short = try width("a", "1")
    #expect(try width("ab", "1") > short)
    #expect(try width("a", "1.0.80") > short)
    #expect(try width("iii", "1") < width("MMM", "1"))
  }

  @Test func escapesMarkupInTexts() throws {
    let tricky = Badge(label: "a<b>&\"c'", message: "x & y", color: .red)
    let document = try XMLDocument(data: Data(tricky.svg.utf8))
    let root = try #require(document.rootElement())
    #expect(attribute(root, "aria-label") == "a<b>&\"c': x & y")
    let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
    #expect(texts == ["a<b>&\"c'", "a<b>&\"c'", "x & y", "x & y"])
    #expect(!tricky.svg.contains("<b>"))
  }

  @Test func endpointJSONRoundTrips() throws {
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(badge.endpointJSON.utf8)) as? [String: Any])
    #expect(object["schemaVersion"] as? Int == 1)
    #expect(object["label"] as? String == badge.label)
    #expect(object["message"] as? String == badge.message)
    #expect(object["color"] as? String == "brightgreen")
    #expect(
      badge.endpointJSON
        == #"{"color":"brightgreen","label":"ooni-api / prod","message":"1.0.80~pr760-20","schemaVersion":1}"#
    )
  }

  @Test(arguments: BadgeColor.allCases)
  func messageBoxHasTheColor(color: BadgeColor) {
    #expect(Badge(label: "a", message: "b", color: color).svg.contains("fill=\"\(color.hex)\""))
  }

  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/xmllint")))
  func xmllintAcceptsTheSVG() throws {
    let result = try ChildProcess.capture(
      ["xmllint", "--noout", "-"], stdin: Array(badge.svg.utf8))
    #expect(result.exit.status == 0, "\(result.stderr)")
  }

  @Test func writerRewritesOnlyChangedFiles() throws {
    let directory = NSTemporaryDirectory() + "badges-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let svg = directory + "/prod.svg"
    let json = directory + "/prod.json"

    #expect(try BadgeWriter.write(badge, basename: "prod", to: directory) == [svg, json])
    #expect(FileManager.default.contents(atPath: svg) == Data(badge.svg.utf8))
    let before = try identity(svg)
    #expect(try BadgeWriter.write(badge, basename: "prod", to: directory) == [])
    #expect(try identity(svg) == before)

    var changed = badge
    changed.message = "1.0.81"
    #expect(try BadgeWriter.write(changed, basename: "prod", to: directory) == [svg, json])
    #expect(try identity(svg).inode != before.inode)
    #expect(FileManager.default.contents(atPath: json) == Data((changed.endpointJSON + "\n").utf8))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    #expect(leftovers == ["prod.json", "prod.svg"])
    #expect(throws: DeployError.self) {
      try BadgeWriter.write(badge, basename: "a/b", to: directory)
    }
  }

  /// An attribute's value. `XMLElement.attribute(forName:)` finds nothing in swift-corelibs-
  /// foundation when the element has a default namespace (as every SVG root has).
  private func attribute(_ element: XMLElement, _ name: String) -> String? {
    element.attributes?.first { $0.name == name }?.stringValue
  }

  private func identity(_ path: String) throws -> (inode: UInt64, mtime: Double) {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    let inode = try #require((attributes[.systemFileNumber] as? NSNumber)?.uint64Value)
    let mtime = try #require((attributes[.modificationDate] as? Date)?.timeIntervalSince1970)
    return (inode, mtime)
  }
}

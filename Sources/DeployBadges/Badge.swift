import DeploySupport

/// A status badge — `ooni-api / prod | 1.0.80~pr760-20` — for a README or a dashboard, showing
/// what is deployed where. Two renderings of the same thing: an SVG file to serve as it is, and
/// shields.io's endpoint JSON, for pages that already show shields badges and want ours to match.
public struct Badge: Sendable, Hashable {
  /// The left, grey part: what the badge is about. May be empty (then only the message shows).
  public var label: String
  /// The right, colored part: the state.
  public var message: String
  public var color: BadgeColor

  public init(label: String, message: String, color: BadgeColor) {
    self.label = label
    self.message = message
    self.color = color
  }

  /// Space between a text and its box's edges, on each side.
  private static let padding = 5
  private static let height = 20

  /// A shields.io "flat" badge: rounded corners, a faint top-to-bottom gradient and text with a
  /// 1px shadow. Box widths come from Verdana's metrics; each text also carries a `textLength`,
  /// so a renderer with a different font (DejaVu Sans where Verdana is missing) still fits it
  /// to its box instead of clipping it. Drawn at 10× and scaled down, as shields does, so text
  /// positions keep a tenth of a pixel of precision in integer coordinates.
  public var svg: String {
    let labelText = VerdanaMetrics.reservedWidth(of: label)
    let messageText = VerdanaMetrics.reservedWidth(of: message)
    let left = label.isEmpty ? 0 : labelText + 2 * Self.padding
    let right = messageText + 2 * Self.padding
    let width = left + right
    let title = Self.escape(label.isEmpty ? message : "\(label): \(message)")
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(width)" \
      height="\(Self.height)" role="img" aria-label="\(title)">\
      <title>\(title)</title>\
      <linearGradient id="s" x2="0" y2="100%">\
      <stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/>\
      </linearGradient>\
      <clipPath id="r"><rect width="\(width)" height="\(Self.height)" rx="3" fill="#fff"/></clipPath>\
      <g clip-path="url(#r)">\
      <rect width="\(left)" height="\(Self.height)" fill="\(BadgeColor.grey.hex)"/>\
      <rect x="\(left)" width="\(right)" height="\(Self.height)" fill="\(color.hex)"/>\
      <rect width="\(width)" height="\(Self.height)" fill="url(#s)"/>\
      </g>\
      <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" \
      text-rendering="geometricPrecision" font-size="110">
      """
    if !label.isEmpty {
      svg += Self.text(label, center: left * 5, length: labelText)
    }
    svg += Self.text(message, center: left * 10 + right * 5, length: messageText)
    svg += "</g></svg>\n"
    return svg
  }

  /// shields.io's endpoint schema (https://shields.io/badges/endpoint-badge), keys sorted.
  public var endpointJSON: String {
    JSONValue.object([
      "schemaVersion": .number(1), "label": .string(label), "message": .string(message),
      "color": .string(color.rawValue),
    ]).serialized
  }

  /// One text, twice: its shadow 1px lower, then the text. Coordinates are at 10× scale.
  private static func text(_ content: String, center: Int, length: Int) -> String {
    let escaped = escape(content)
    return """
      <text aria-hidden="true" x="\(center)" y="150" fill="#010101" fill-opacity=".3" \
      transform="scale(.1)" textLength="\(length * 10)">\(escaped)</text>\
      <text x="\(center)" y="140" transform="scale(.1)" fill="#fff" \
      textLength="\(length * 10)">\(escaped)</text>
      """
  }

  /// Text as XML character data or an attribute value in either kind of quotes. Control
  /// characters, which XML 1.0 forbids even escaped, become spaces.
  static func escape(_ text: String) -> String {
    var result = ""
    for character in text {
      switch character {
      case _ where character.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }:
        result += " "
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&apos;"
      default: result.append(character)
      }
    }
    return result
  }
}

/// The background colors of a badge's message, by the names shields.io uses, so a badge made
/// here and one served by shields from our endpoint JSON look the same. Named colors only: a
/// color ends up in SVG attributes and JSON, and a closed set needs no validation.
public enum BadgeColor: String, Sendable, Hashable, CaseIterable {
  case brightgreen, green, yellowgreen, yellow, orange, red, blue, lightgrey, grey

  /// The color as shields draws it. All of them are dark enough for shields' white text.
  public var hex: String {
    switch self {
    case .brightgreen: "#4c1"
    case .green: "#97ca00"
    case .yellowgreen: "#a4a61d"
    case .yellow: "#dfb317"
    case .orange: "#fe7d37"
    case .red: "#e05d44"
    case .blue: "#007ec6"
    case .lightgrey: "#9f9f9f"
    case .grey: "#555"
    }
  }
}

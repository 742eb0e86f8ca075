/// How wide text is in Verdana at 11px, the font badges are drawn in. The badge's boxes are
/// sized from this, because an SVG cannot size a box to its text: too narrow and the text is
/// clipped, too wide and it floats. Shields measures with a table too (anafanafo); this one
/// holds Verdana's advance widths, from which shields' differ by hinting only.
enum VerdanaMetrics {
  /// Advance widths of ASCII 32 (space) to 126 (`~`), in font units of a 2048-unit em.
  private static let asciiUnits: [Int] = [
    720, 824, 1034, 1832, 1302, 2210, 1484, 605, 1034, 1034, 1302, 1832, 744, 866, 744, 1034,
    1302, 1302, 1302, 1302, 1302, 1302, 1302, 1302, 1302, 1302, 889, 889, 1832, 1832, 1832, 1117,
    2048, 1401, 1405, 1430, 1579, 1294, 1178, 1577, 1543, 868, 931, 1421, 1145, 1721, 1539, 1614,
    1241, 1614, 1429, 1401, 1243, 1506, 1401, 2053, 1405, 1242, 1407, 1034, 1034, 1034, 1832,
    1302, 1302, 1231, 1270, 1096, 1270, 1224, 721, 1270, 1296, 562, 690, 1188, 562, 1992, 1296,
    1233, 1270, 1270, 874, 1059, 806, 1296, 1188, 1664, 1190, 1188, 1057, 1303, 1034, 1303, 1832,
  ]
  /// Anything else counts as wide as `M`: a box a little too wide beats clipped text.
  private static let defaultUnits = 1721

  /// The width of `text` in pixels at 11px: the sum of its characters' advances.
  static func width(of text: String) -> Double {
    let units = text.unicodeScalars.reduce(0) { total, scalar in
      let index = Int(scalar.value) - 32
      return total + (asciiUnits.indices.contains(index) ? asciiUnits[index] : defaultUnits)
    }
    return Double(units) * 11 / 2048
  }

  /// The width a badge reserves for `text`: whole pixels, rounded up to an odd number as
  /// shields does, so that centered text starts on a pixel boundary.
  static func reservedWidth(of text: String) -> Int {
    let whole = Int(width(of: text).rounded(.up))
    return whole % 2 == 0 ? whole + 1 : whole
  }
}

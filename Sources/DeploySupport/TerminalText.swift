/// Text on its way to a person's terminal. Much of what `deploy` prints came from hosts (command
/// output, logs, lock messages, build API answers), and a terminal obeys escape sequences: a
/// lock message could retitle the window, move the cursor to hide a line, or write the
/// clipboard (OSC 52). So every control character is shown as text, as `cat -v` shows it, except
/// newlines, tabs and the colour codes (SGR: `ESC [ digits m`) that change nothing but colour.
public enum TerminalText {
  public static func sanitize(_ text: String) -> String {
    // Every line printed comes through here: most have nothing to change, and cost no copy.
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    let scalars = Array(text.unicodeScalars)
    var out = String.UnicodeScalarView()
    var index = 0
    while index < scalars.count {
      let scalar = scalars[index]
      if scalar == "\u{1B}", let end = colourCodeEnd(scalars, from: index) {
        out.append(contentsOf: scalars[index...end])
        index = end + 1
        continue
      }
      switch scalar.value {
      case 0x0A, 0x09: out.append(scalar)
      case 0x0D:
        // CRLF is a newline; a lone CR (progress bars, or a line that overwrites itself to hide
        // what came before) starts a new line instead of overwriting.
        if index + 1 < scalars.count, scalars[index + 1] == "\n" { break }
        out.append("\n")
      case 0x00..<0x20:
        out.append(contentsOf: "^\(Unicode.Scalar(scalar.value + 0x40)!)".unicodeScalars)
      case 0x7F: out.append(contentsOf: "^?".unicodeScalars)
      case 0x80..<0xA0:
        out.append(
          contentsOf: "<U+\(String(scalar.value, radix: 16, uppercase: true))>".unicodeScalars)
      default: out.append(scalar)
      }
      index += 1
    }
    return String(out)
  }

  private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    (scalar.value < 0x20 && scalar != "\n" && scalar != "\t")
      || (0x7F..<0xA0).contains(scalar.value)
  }

  /// The index of the `m` that ends an SGR sequence starting at `start` (`ESC [ 0-9;* m`).
  private static func colourCodeEnd(_ scalars: [Unicode.Scalar], from start: Int) -> Int? {
    guard start + 2 < scalars.count, scalars[start + 1] == "[" else { return nil }
    var index = start + 2
    while index < scalars.count, index - start < 32 {
      let scalar = scalars[index]
      if scalar == "m" { return index }
      guard ("0"..."9").contains(scalar) || scalar == ";" else { return nil }
      index += 1
    }
    return nil
  }
}

import DeploySupport
import Foundation

/// Run ids look like `20261124T130607Z-3fa9c2`: the UTC start time, so that ids sort by age and a
/// person can tell when a run began, plus 6 random hex digits so that two runs started in the
/// same second (two CI jobs) do not collide.
public enum RunID {
  /// A new id for a run starting at `now`.
  public static func make(now: Date = Date()) -> String {
    let epoch = Int(now.timeIntervalSince1970.rounded(.down))
    let random = String(UInt32.random(in: 0...0xFF_FFFF), radix: 16)
    return Timestamp.compact(epoch) + "-" + String(repeating: "0", count: 6 - random.count) + random
  }

  /// Whether `text` is exactly a run id (`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$`). Run ids given on the
  /// command line end up in remote shell commands and file names, so anything else is refused
  /// before it gets there. Checked byte by byte: no Unicode digits, no trailing newline.
  public static func isValid(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 23 else { return false }
    func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    func isLowerHex(_ byte: UInt8) -> Bool { isDigit(byte) || (0x61...0x66).contains(byte) }
    return bytes[0..<8].allSatisfy(isDigit) && bytes[8] == UInt8(ascii: "T")
      && bytes[9..<15].allSatisfy(isDigit) && bytes[15] == UInt8(ascii: "Z")
      && bytes[16] == UInt8(ascii: "-") && bytes[17...].allSatisfy(isLowerHex)
  }
}

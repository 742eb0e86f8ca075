/// A unified diff of a file's content as `ansible-playbook --diff` prints it: Python's
/// `difflib.unified_diff` layout (`--- before: PATH`, `@@ -1,3 +1,4 @@`, a range of one line
/// written without its length) and `\ No newline at end of file` after a last line that lacks
/// one. The lines are matched with Myers' algorithm (a shortest edit script).
public enum UnifiedDiff {
  /// The diff, or an empty string when the content is the same.
  public static func render(_ diff: FileDiff, context: Int = 3) -> String {
    let before = lines(diff.before)
    let after = lines(diff.after)
    let groups = grouped(opcodes(before, after), context: max(0, context))
    guard !groups.isEmpty else { return "" }
    var output = "--- before: \(diff.path)\n+++ after: \(diff.path)\n"
    for group in groups {
      let first = group[0]
      let last = group[group.count - 1]
      output += "@@ -\(range(first.before.lowerBound, last.before.upperBound))"
      output += " +\(range(first.after.lowerBound, last.after.upperBound)) @@\n"
      for operation in group {
        if operation.kind == .equal {
          for line in before[operation.before] { output += line.rendered(prefix: " ") }
          continue
        }
        for line in before[operation.before] { output += line.rendered(prefix: "-") }
        for line in after[operation.after] { output += line.rendered(prefix: "+") }
      }
    }
    return output
  }

  /// A line and whether it ended in a newline: the last line without one differs from the same
  /// text with one (the diff shows that the newline was added or removed).
  struct Line: Hashable {
    var text: String
    var hasNewline: Bool

    func rendered(prefix: String) -> String {
      prefix + text + (hasNewline ? "\n" : "\n\\ No newline at end of file\n")
    }
  }

  static func lines(_ text: String) -> [Line] {
    var result: [Line] = []
    var current = ""
    for scalar in text.unicodeScalars {
      if scalar == "\n" {
        result.append(Line(text: current, hasNewline: true))
        current = ""
      } else {
        current.unicodeScalars.append(scalar)
      }
    }
    if !current.isEmpty { result.append(Line(text: current, hasNewline: false)) }
    return result
  }

  enum Kind { case equal, change }

  /// A run of lines: equal on both sides, or lines of `before` replaced by lines of `after`
  /// (either range may be empty: a pure deletion or insertion).
  struct Operation: Equatable {
    var kind: Kind
    var before: Range<Int>
    var after: Range<Int>
  }

  /// The edit as alternating equal runs and changes, covering both sides entirely.
  static func opcodes(_ before: [Line], _ after: [Line]) -> [Operation] {
    var operations: [Operation] = []
    var beforeIndex = 0
    var afterIndex = 0
    func flush(to matchBefore: Int, _ matchAfter: Int) {
      if beforeIndex < matchBefore || afterIndex < matchAfter {
        operations.append(
          Operation(
            kind: .change, before: beforeIndex..<matchBefore, after: afterIndex..<matchAfter))
      }
    }
    for (matchBefore, matchAfter) in matches(before, after) {
      flush(to: matchBefore, matchAfter)
      if let last = operations.last, last.kind == .equal, last.before.upperBound == matchBefore,
        last.after.upperBound == matchAfter
      {
        operations[operations.count - 1].before = last.before.lowerBound..<(matchBefore + 1)
        operations[operations.count - 1].after = last.after.lowerBound..<(matchAfter + 1)
      } else {
        operations.append(
          Operation(
            kind: .equal, before: matchBefore..<(matchBefore + 1),
            after: matchAfter..<(matchAfter + 1)))
      }
      beforeIndex = matchBefore + 1
      afterIndex = matchAfter + 1
    }
    flush(to: before.count, after.count)
    return operations
  }

  /// Edits longer than this many steps are shown as one change of the differing middle: the
  /// memory Myers' backtracking needs grows with the square of the edit's length.
  static let maximumEditLength = 2_000

  /// Index pairs of matching lines, in order: the common prefix and suffix, and between them
  /// a longest common subsequence found with Myers' greedy algorithm.
  static func matches(_ before: [Line], _ after: [Line]) -> [(Int, Int)] {
    var prefix = 0
    while prefix < before.count, prefix < after.count, before[prefix] == after[prefix] {
      prefix += 1
    }
    var suffix = 0
    while suffix < before.count - prefix, suffix < after.count - prefix,
      before[before.count - 1 - suffix] == after[after.count - 1 - suffix]
    {
      suffix += 1
    }
    var result = (0..<prefix).map { ($0, $0) }
    let a = Array(before[prefix..<(before.count - suffix)])
    let b = Array(after[prefix..<(after.count - suffix)])
    result += myers(a, b).map { ($0.0 + prefix, $0.1 + prefix) }
    result += (0..<suffix).map { (before.count - suffix + $0, after.count - suffix + $0) }
    return result
  }

  /// Matching index pairs of a shortest edit script from `a` to `b`.
  static func myers(_ a: [Line], _ b: [Line]) -> [(Int, Int)] {
    let n = a.count
    let m = b.count
    guard n > 0, m > 0 else { return [] }
    let limit = min(n + m, maximumEditLength)
    // v[k + offset]: the furthest x reached on diagonal k; trace[d] keeps v for k in -d...d
    // as it was before step d, which is what backtracking needs.
    let offset = limit + 1
    var v = [Int](repeating: 0, count: 2 * limit + 3)
    var trace: [[Int]] = []
    var found = false
    search: for d in 0...limit {
      trace.append(Array(v[(offset - d)...(offset + d)]))
      for k in stride(from: -d, through: d, by: 2) {
        var x =
          (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]))
          ? v[offset + k + 1] : v[offset + k - 1] + 1
        var y = x - k
        while x < n, y < m, a[x] == b[y] {
          x += 1
          y += 1
        }
        v[offset + k] = x
        if x >= n && y >= m {
          found = true
          break search
        }
      }
    }
    guard found else { return [] }  // too different: one change from start to end

    var pairs: [(Int, Int)] = []
    var x = n
    var y = m
    for d in stride(from: trace.count - 1, through: 0, by: -1) {
      let snapshot = trace[d]
      func at(_ k: Int) -> Int {
        let index = k + d
        return index >= 0 && index < snapshot.count ? snapshot[index] : 0
      }
      let k = x - y
      let previousK = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1
      let previousX = at(previousK)
      let previousY = previousX - previousK
      while x > previousX, y > previousY, x > 0, y > 0 {
        x -= 1
        y -= 1
        pairs.append((x, y))
      }
      x = previousX
      y = previousY
    }
    return pairs.reversed()
  }

  /// difflib's `get_grouped_opcodes`: changes with `context` equal lines around them; changes
  /// closer than twice that share one hunk.
  static func grouped(_ operations: [Operation], context: Int) -> [[Operation]] {
    guard operations.contains(where: { $0.kind == .change }) else { return [] }
    var operations = operations
    if let first = operations.first, first.kind == .equal {
      operations[0].before =
        max(first.before.lowerBound, first.before.upperBound - context)..<first.before.upperBound
      operations[0].after =
        max(first.after.lowerBound, first.after.upperBound - context)..<first.after.upperBound
    }
    if let last = operations.last, last.kind == .equal {
      operations[operations.count - 1].before =
        last.before.lowerBound..<min(last.before.upperBound, last.before.lowerBound + context)
      operations[operations.count - 1].after =
        last.after.lowerBound..<min(last.after.upperBound, last.after.lowerBound + context)
    }
    var groups: [[Operation]] = []
    var group: [Operation] = []
    for var operation in operations {
      if operation.kind == .equal && operation.before.count > 2 * context {
        group.append(
          Operation(
            kind: .equal,
            before: operation.before.lowerBound..<(operation.before.lowerBound + context),
            after: operation.after.lowerBound..<(operation.after.lowerBound + context)))
        groups.append(group)
        group = []
        operation.before = (operation.before.upperBound - context)..<operation.before.upperBound
        operation.after = (operation.after.upperBound - context)..<operation.after.upperBound
      }
      group.append(operation)
    }
    if !group.isEmpty && !(group.count == 1 && group[0].kind == .equal) { groups.append(group) }
    return groups.filter { $0.contains { $0.kind == .change } }
  }

  /// difflib's `_format_range_unified`: `start,length`, just `start` for one line, and the
  /// line before for an empty range.
  static func range(_ start: Int, _ stop: Int) -> String {
    let length = stop - start
    if length == 1 { return "\(start + 1)" }
    return length == 0 ? "\(start),0" : "\(start + 1),\(length)"
  }
}

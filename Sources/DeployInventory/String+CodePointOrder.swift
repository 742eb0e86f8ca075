extension String {
  /// Python compares strings by code point, and Ansible sorts groups, hosts and JSON keys that
  /// way; Swift's `<` uses Unicode canonical ordering, which differs outside ASCII.
  package func precedesByCodePoint(_ other: String) -> Bool {
    unicodeScalars.lexicographicallyPrecedes(other.unicodeScalars)
  }
}

import DeploySupport
import Foundation

/// A build folder on this machine (the explorer's `data_folder`) and the build it serves
/// (`build_name`): reads the build API's answers from disk and swaps builds.
///
/// Swaps are crash-safe: whenever the process dies (even by SIGKILL), `<build_name>` is a
/// complete build, old or new, and `recover()` finishes or undoes the interrupted step. Beside
/// the served build it keeps:
/// - `<name>.incoming`: a new build being copied; complete once `.deploy-build-complete` is in it.
/// - `<name>.save`: the previously served build, the rollback copy (always complete).
/// - `<name>.failed`: the build a rollback took out.
/// - `<name>.trash`: something being deleted (renamed first, so nothing half-deleted keeps a
///   meaningful name).
public struct BuildFolder: Sendable {
  public let path: String
  public let buildName: String

  /// Written last into `<name>.incoming`; still inside the served build after the exchange until
  /// the old build is the rollback copy — so its presence in `<name>` means "an update swapped,
  /// finish its bookkeeping".
  public static let completeMarker = ".deploy-build-complete"
  /// Written into `<name>.save` before a rollback's exchange; inside `<name>` afterwards it
  /// means "a rollback swapped, the bad build in `<name>.save` is to become `<name>.failed`".
  public static let rollbackMarker = ".deploy-build-rollback"

  /// One update or rollback at a time in this process.
  private static let mutation = NSLock()

  public init(path: String, buildName: String) throws(DeployError) {
    guard !buildName.isEmpty, buildName != ".", buildName != "..", !buildName.contains("/"),
      !buildName.contains("\0")
    else {
      throw .usage(
        "the build name must be the name of a folder inside the data folder, not "
          + String(reflecting: buildName))
    }
    self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    self.buildName = buildName
  }

  public var servedPath: String { folder(buildName) }
  public var incomingPath: String { folder(buildName + ".incoming") }
  public var savePath: String { folder(buildName + ".save") }
  public var failedPath: String { folder(buildName + ".failed") }
  public var trashPath: String { folder(buildName + ".trash") }

  private func folder(_ name: String) -> String { path + "/" + name }

  /// Reads `.lock`, `.build_history` and every sub-folder's `build_info.yml` (sub-folders are
  /// followed if they are symbolic links, as the explorer's `os.walk` does).
  public func state() -> BuildFolderState {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    var infos: [String: [UInt8]?] = [:]
    for name in names where FolderOperations.isDirectory(folder(name)) {
      let file = folder(name) + "/build_info.yml"
      guard FolderOperations.isFile(file) else { continue }
      infos[name] = FileManager.default.contents(atPath: file).map { [UInt8]($0) }
    }
    return BuildFolderState(
      buildName: buildName, locked: FolderOperations.exists(folder(".lock")),
      historyFile: FileManager.default.contents(atPath: folder(".build_history")).map {
        [UInt8]($0)
      },
      buildInfoFiles: infos)
  }

  /// What `update` did.
  public enum UpdateResult: Sendable, Hashable {
    case upToDate
    /// Swapped in `folder`; `notes` are lines for the log (recovery, the newer-build detail).
    case updated(folder: String, notes: [String])
  }

  /// Swaps in the newest build (see `BuildFolderState.newBuild()`): copies it to
  /// `<name>.incoming`, exchanges it with `<name>` in one step, keeps the old build as
  /// `<name>.save`, then runs `restartCommand` (with `/bin/sh -c`) if given.
  public func update(restartCommand: String? = nil) throws(BuildAPIError) -> UpdateResult {
    Self.mutation.lock()
    defer { Self.mutation.unlock() }
    var notes = try recoverLocked()
    let state = state()
    guard !state.locked else { throw .buildInProgress }
    let choice = state.newBuild()
    if let detail = choice.detail { notes.append(detail) }
    guard let source = choice.folder else { return .upToDate }

    // recover() has discarded any earlier `<name>.incoming`.
    do throws(BuildAPIError) {
      try FolderOperations.copyTree(from: folder(source), to: incomingPath)
      try FolderOperations.createMarker(incomingPath + "/" + Self.completeMarker)
    } catch {
      // Nothing was swapped; don't leave a partial copy (disk full, say) taking space.
      try? discard(incomingPath)
      throw .fileOperation("Build not updated: \(error)")
    }
    if FolderOperations.exists(servedPath) {
      try FolderOperations.exchange(incomingPath, servedPath)
    } else {
      try FolderOperations.moveNew(incomingPath, servedPath)
      notes.append("first activation: nothing was served before \(String(reflecting: source))")
    }
    try finishUpdate()
    try runRestart(restartCommand, what: "Build updated")
    return .updated(folder: source, notes: notes)
  }

  /// Puts `<name>.save` back in one exchange; the build it replaces becomes `<name>.failed`
  /// (a previous one is deleted). Runs `restartCommand` afterwards, as `update` does. Returns
  /// lines for the log.
  @discardableResult
  public func rollback(restartCommand: String? = nil) throws(BuildAPIError) -> [String] {
    Self.mutation.lock()
    defer { Self.mutation.unlock() }
    var notes = try recoverLocked()
    guard FolderOperations.isDirectory(savePath) else { throw .noRollbackCopy }
    try FolderOperations.createMarker(savePath + "/" + Self.rollbackMarker)
    if FolderOperations.exists(servedPath) {
      try FolderOperations.exchange(savePath, servedPath)
    } else {
      try FolderOperations.moveNew(savePath, servedPath)
      notes.append("nothing was served; the rollback copy is served now")
    }
    try finishRollback()
    try runRestart(restartCommand, what: "Build rolled back")
    return notes
  }

  /// Brings the folder to a consistent state after a crash: a served build if there is any
  /// complete one, an interrupted swap finished, leftovers removed. Returns what it did, one
  /// line each, for the log. `update` and `rollback` call it first; a server calls it before
  /// listening.
  @discardableResult
  public func recover() throws(BuildAPIError) -> [String] {
    Self.mutation.lock()
    defer { Self.mutation.unlock() }
    return try recoverLocked()
  }

  private func recoverLocked() throws(BuildAPIError) -> [String] {
    var notes: [String] = []
    if FolderOperations.exists(trashPath) {
      try FolderOperations.removeTree(trashPath)
      notes.append("removed the leftover \(trashPath)")
    }
    if !FolderOperations.exists(servedPath) {
      if FolderOperations.exists(incomingPath + "/" + Self.completeMarker) {
        try FolderOperations.moveNew(incomingPath, servedPath)
        notes.append("nothing was served: served the complete new build from \(incomingPath)")
      } else if FolderOperations.isDirectory(savePath) {
        try FolderOperations.moveNew(savePath, servedPath)
        notes.append("nothing was served: served the rollback copy \(savePath)")
      }
    }
    if FolderOperations.exists(servedPath + "/" + Self.completeMarker) {
      try finishUpdate()
      notes.append("finished an interrupted update: the new build is served")
    } else if FolderOperations.exists(servedPath + "/" + Self.rollbackMarker) {
      try finishRollback()
      notes.append("finished an interrupted rollback: the rollback copy is served")
    }
    if FolderOperations.exists(incomingPath) {
      // Served is not the new build, so this is a copy that never got swapped in.
      try discard(incomingPath)
      notes.append("discarded the interrupted copy \(incomingPath); the served build is unchanged")
    }
    if FolderOperations.exists(savePath + "/" + Self.rollbackMarker) {
      try FolderOperations.removeFile(savePath + "/" + Self.rollbackMarker)
      notes.append("an interrupted rollback had not swapped: the served build is unchanged")
    }
    if !FolderOperations.exists(servedPath) {
      notes.append("no build is served: \(servedPath) does not exist and there is no copy of it")
    }
    return notes
  }

  /// After an update's exchange: the old build (now `<name>.incoming`, if any) replaces the
  /// rollback copy, then the marker leaves the served build.
  private func finishUpdate() throws(BuildAPIError) {
    try finishExchange(moving: incomingPath, to: savePath, marker: Self.completeMarker)
  }

  /// After a rollback's exchange: the bad build (now `<name>.save`) becomes `<name>.failed`,
  /// then the marker leaves the served build.
  private func finishRollback() throws(BuildAPIError) {
    try finishExchange(moving: savePath, to: failedPath, marker: Self.rollbackMarker)
  }

  /// What both exchanges end with: the build swapped out moves to `destination` (replacing what
  /// was there, through `<name>.trash`), then `marker` leaves the served build. Each step is a
  /// rename, so a crash between two is finished by `recover()`.
  private func finishExchange(moving source: String, to destination: String, marker: String)
    throws(BuildAPIError)
  {
    if FolderOperations.exists(source) {
      if FolderOperations.exists(destination) {
        try FolderOperations.moveNew(destination, trashPath)
      }
      try FolderOperations.moveNew(source, destination)
    }
    try FolderOperations.removeFile(servedPath + "/" + marker)
    try FolderOperations.removeTree(trashPath)
  }

  /// Deletes a folder by first renaming it to `<name>.trash`, so a crash mid-delete leaves
  /// nothing half-deleted under a name that means something.
  private func discard(_ path: String) throws(BuildAPIError) {
    try FolderOperations.removeTree(trashPath)
    try FolderOperations.moveNew(path, trashPath)
    try FolderOperations.removeTree(trashPath)
  }

  private func runRestart(_ command: String?, what: String) throws(BuildAPIError) {
    guard let command else { return }
    let result: (exit: ChildProcess.Exit, stdout: String, stderr: String)
    do {
      result = try ChildProcess.capture(["/bin/sh", "-c", command], timeout: Self.restartTimeout)
    } catch {
      throw .restartFailed(what: what, reason: error.description)
    }
    let output = (result.stderr + result.stdout).trimmingCharacters(in: .whitespacesAndNewlines)
    let tail = output.count > 500 ? "…" + output.suffix(500) : output
    let reason: String?
    if result.exit.timedOut {
      reason = "it did not finish within \(Int(Self.restartTimeout)) s"
    } else if let signal = result.exit.signal {
      reason = "it was killed by SIG\(signal)"
    } else if result.exit.status != 0 {
      reason = "exit status \(result.exit.status)"
    } else {
      reason = nil
    }
    if let reason {
      throw .restartFailed(what: what, reason: reason + (tail.isEmpty ? "" : ": " + tail))
    }
  }

  /// A restart that takes longer is taken as hung.
  public static let restartTimeout: Double = 300
}

extension BuildFolder {
  /// `/status`, read from disk now (see `BuildFolderState.status()`).
  public func status() -> PythonJSON { state().status() }

  /// `/history`, read from disk now.
  public func history() -> PythonJSON { state().history() }

  /// `/latest`, read from disk now.
  public func latest() -> PythonJSON { state().latest() }

  /// `/current`, read from disk now.
  public func current() -> PythonJSON { state().current() }

  /// `/available`, read from disk now.
  public func available() -> PythonJSON { state().available() }

  /// `/new_build_available`, read from disk now; `state().newBuild()` also says why.
  public func newBuildAvailable() -> PythonJSON { state().newBuildAvailable() }
}

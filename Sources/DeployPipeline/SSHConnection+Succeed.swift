import DeploySSH
import HostShell

extension SSHConnection {
  /// Runs a script that must succeed: a broken connection fails as `.ssh`, a non-zero exit as
  /// `.command` naming `what` with the script's error output (its last `stderrLines` lines when
  /// given: apt's output is long).
  public func succeed(
    _ script: ShellScript, what: String, stdin: [UInt8] = [], timeout: Double? = 120,
    stderrLines: Int? = nil
  ) throws(HostFailure) -> CapturedOutput {
    let output: CapturedOutput
    do {
      output = try capture(
        RemoteCommand(script, stdin: stdin, timeout: timeout, purpose: what))
    } catch {
      throw .ssh(error)
    }
    guard output.result.succeeded else {
      var stderr = output.stderrText
      if let stderrLines {
        stderr = stderr.split(separator: "\n").suffix(stderrLines).joined(separator: "\n")
      }
      throw .command(what: what, result: output.result, stderr: stderr)
    }
    return output
  }

  /// Asks a host `query` (which must succeed, as `succeed`) and reads its answer.
  public func ask<Answer>(_ query: HostQuery<Answer>, timeout: Double? = 120)
    throws(HostFailure) -> Answer
  {
    query.answer(from: try succeed(query.script, what: query.purpose, timeout: timeout).stdoutText)
  }
}

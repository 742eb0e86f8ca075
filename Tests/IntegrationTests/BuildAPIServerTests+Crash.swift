import Foundation
import Testing

@testable import DeployBuildAPI
@testable import DeployInventory

#if canImport(Glibc)
  import Glibc
#endif

extension BuildAPIServerTests {
  /// SIGKILL at random moments of updates of a build of many files: every time, the served
  /// folder on disk is a complete build (old or new), and after a restart `/current` answers
  /// it with nothing left over.
  @Test(.timeLimit(.minutes(1)))
  func aCrashAtAnyMomentOfAnUpdateLeavesACompleteBuildServed() throws {
    let files = 1000
    let fixture = BuildAPIFixture()
    defer { fixture.destroy() }
    let name = fixture.buildName
    fixture.build(name, time: "2020/01/01 00:00:00", files: files)

    // One uninterrupted update tells how long one takes here.
    fixture.build("candidate0", time: "2020/01/02 00:00:00", files: files)
    var server = try fixture.start()
    let clock = Date()
    #expect(try server.api("update").text == #"{"message":"Build updated"}"#)
    let duration = Date().timeIntervalSince(clock)
    server.stop()
    fixture.remove("candidate0")

    let iterations = 6
    var outcomes: [String] = []
    for iteration in 1...iterations {
      let before = try #require(try? fixture.check(name, files: files).get())
      let time = "2020/01/\(String(format: "%02d", iteration + 2)) 00:00:00"
      fixture.build("candidate", time: time, files: files)
      server = try fixture.start()
      let port = server.port
      let request = Thread {
        _ = try? HTTPReply.get(
          port: port, path: BuildAPI.pathPrefix + "update", headers: [:], timeout: 20)
      }
      request.start()
      // Spread the kills over the update's whole length (and a little past it).
      let fraction = (Double(iteration - 1) + Double.random(in: 0..<1)) / Double(iterations)
      usleep(useconds_t(fraction * duration * 1.2 * 1_000_000))
      let copying = fixture.exists(name + ".incoming")
      server.stop(signal: SIGKILL)

      // At the moment of the crash: a complete build is served, old or new.
      let served = fixture.check(name, files: files)
      #expect(served == .success(before) || served == .success(time), "\(served)")

      server = try fixture.start()
      let current = try server.api("current").text
      let answered =
        current.firstMatch(of: /"build_time":"([^"]+)"/).map { String($0.1) } ?? current
      #expect(answered == before || answered == time, "\(current)")
      #expect(fixture.check(name, files: files) == .success(answered))
      #expect(fixture.entries == ["candidate", name, name + ".save"])
      #expect(fixture.check(name + ".save", files: files).isSuccess)
      #expect(!fixture.exists(name + "/" + BuildFolder.completeMarker))
      server.stop()
      fixture.remove("candidate")
      outcomes.append(
        (answered == time ? "new" : "old") + (copying ? " (killed while copying)" : ""))
    }
    // Which moments were hit is left to chance (kills spread over the measured length of an
    // update); the record shows them when the test fails.
    #expect(outcomes.count == iterations, "update: \(duration) s, crashes: \(outcomes)")
  }
}

extension Result {
  fileprivate var isSuccess: Bool {
    if case .success = self { return true }
    return false
  }
}

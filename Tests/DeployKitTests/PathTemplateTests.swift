import Testing

@testable import DeployConfig
@testable import DeployInventory
@testable import DeploySupport

@Suite("Path templates")
struct PathTemplateTests {
  let location = SourceLocation(file: "deploy.yml", line: 7, column: 11)

  @Test func rendersHostnameAndHostVariables() throws {
    let template = PathTemplate(
      "/srv/{{ inventory_hostname }}/{{app_env}}/{{  port }}-{{ inventory_hostname_short }}",
      location: location)
    let path = try template.render(
      hostname: "web01.example.org", vars: ["app_env": .string("test"), "port": .int(8080)])
    #expect(path == "/srv/web01.example.org/test/8080-web01")
    #expect(
      template.variables == ["inventory_hostname", "app_env", "port", "inventory_hostname_short"])
  }

  @Test func aPlainPathRendersAsItIs() throws {
    #expect(try PathTemplate("/srv/app").render(hostname: "h", vars: [:]) == "/srv/app")
  }

  @Test func appendingAddsOneComponent() {
    #expect(PathTemplate("/srv/app", location: location).appending("repo").text == "/srv/app/repo")
    #expect(PathTemplate("/srv/app/").appending("build").text == "/srv/app/build")
    #expect(PathTemplate("/srv/app", location: location).appending("repo").location == location)
  }

  @Test func anUnknownVariableNamesItTheHostAndTheLocation() {
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      _ = try PathTemplate("/srv/{{ site }}", location: location).render(
        hostname: "web01", vars: ["app_env": .string("x")])
    }
    #expect(error?.location == location)
    #expect(error?.message.contains("variable 'site'") == true)
    #expect(error?.message.contains("host 'web01'") == true)
  }

  @Test(
    arguments: [
      ("{{ base }}/app", ["base": VarValue.string("relative")], "is not absolute"),
      ("/srv/{{ name }}", ["name": .string("a\nb")], "control character"),
      ("/srv/{{ name }}", ["name": .string("a\0b")], "control character"),
      ("/srv/{{ name }}/x", ["name": .string("..")], "'..' component"),
      ("/srv/{{ name }}", ["name": .list([.string("a")])], "a list"),
      ("/srv/{{ name }}", ["name": .null], "expected a string or a number"),
      ("/", [:], "is the root folder"),
      ("//./", [:], "is the root folder"),
      ("{{ base }}", ["base": .string("/")], "is the root folder"),
      ("/etc/", [:], "is the system folder /etc"),
      ("/usr//local", [:], "is the system folder /usr/local"),
      ("/srv", [:], "give the app a folder of its own"),
      ("/home/{{ user }}", ["user": .string("")], "is the system folder /home"),
    ])
  func renderedPathsAreChecked(text: String, vars: [String: VarValue], message: String) {
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      _ = try PathTemplate(text, location: location).render(hostname: "h1", vars: vars)
    }
    #expect(error?.location == location)
    #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
  }

  @Test(arguments: ["/srv/app", "/var/www/site", "/home/deploy/app", "/opt/echr", "/etc/app"])
  func anAppFolderBelowASystemFolderIsFine(text: String) throws {
    #expect(try PathTemplate(text, location: location).render(hostname: "h1", vars: [:]) == text)
  }

  @Test(
    arguments: [
      ("srv/app", "expected an absolute path"),
      ("~/app", "'~' is not expanded on the host"),
      ("/srv/{{ app", "without a closing '}}'"),
      ("/srv/{{ app | lower }}", "filters and expressions are not supported"),
      ("/srv/{% if x %}", "only '{{ variable }}' is supported"),
      ("/srv/../etc", "'..' component"),
      ("", "found nothing"),
    ])
  func malformedTemplatesFailTheCheck(text: String, message: String) {
    let error = InventoryTestKit.configurationError { () throws(DeployError) in
      try PathTemplate(text, location: location).check()
    }
    #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
  }
}

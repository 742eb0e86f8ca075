import Testing

@testable import DeployInventory

@Suite("ansible-inventory output")
struct InventoryOutputTests {
  private let inventory: Inventory

  init() throws {
    inventory = try iniInventory(
      """
      bastion
      [web]
      web1 port=80
      web2
      [db]
      db1
      [prod:children]
      web
      db
      [staging]
      [all:vars]
      user=deploy
      [web:vars]
      ratio=0.5
      note="say \\"hi\\""
      """)
  }

  @Test func listJSONHasAnsibleInventoryListShape() {
    // What `ansible-inventory -i inv.ini --list` prints for this inventory: groups sorted by
    // key, `all` with children only, empty groups (`staging`) left out, merged hostvars.
    #expect(
      inventory.listJSON() == #"""
        {
            "_meta": {
                "hostvars": {
                    "bastion": {
                        "user": "deploy"
                    },
                    "db1": {
                        "user": "deploy"
                    },
                    "web1": {
                        "note": "say \"hi\"",
                        "port": 80,
                        "ratio": 0.5,
                        "user": "deploy"
                    },
                    "web2": {
                        "note": "say \"hi\"",
                        "ratio": 0.5,
                        "user": "deploy"
                    }
                }
            },
            "all": {
                "children": [
                    "ungrouped",
                    "prod",
                    "staging"
                ]
            },
            "db": {
                "hosts": [
                    "db1"
                ]
            },
            "prod": {
                "children": [
                    "web",
                    "db"
                ]
            },
            "ungrouped": {
                "hosts": [
                    "bastion"
                ]
            },
            "web": {
                "hosts": [
                    "web1",
                    "web2"
                ]
            }
        }
        """#)
  }

  @Test func listJSONOfAnEmptyInventory() throws {
    #expect(
      try iniInventory("").listJSON() == """
        {
            "_meta": {
                "hostvars": {}
            },
            "all": {
                "children": [
                    "ungrouped"
                ]
            }
        }
        """)
  }

  @Test func listJSONEscapesLikePython() throws {
    let inventory = try yamlInventory(
      #"""
      all:
        hosts:
          h1:
            text: "tab\there\u0001 ü"
            list: []
            map: {}
            big: 1.0e+20
            whole: 3.0
      """#)
    #expect(
      inventory.listJSON() == #"""
        {
            "_meta": {
                "hostvars": {
                    "h1": {
                        "big": 1e+20,
                        "list": [],
                        "map": {},
                        "text": "tab\there\u0001 ü",
                        "whole": 3.0
                    }
                }
            },
            "all": {
                "children": [
                    "ungrouped"
                ]
            },
            "ungrouped": {
                "hosts": [
                    "h1"
                ]
            }
        }
        """#)
  }

  @Test func graphHasAnsibleInventoryGraphShape() {
    #expect(
      inventory.graph() == """
        @all:
          |--@ungrouped:
          |  |--bastion
          |--@prod:
          |  |--@web:
          |  |  |--web1
          |  |  |--web2
          |  |--@db:
          |  |  |--db1
          |--@staging:
        """)
  }

  @Test func aGroupWithTwoParentsIsDrawnUnderBoth() throws {
    let inventory = try yamlInventory(
      """
      all:
        children:
          a: {children: {shared: {hosts: {h1: }}}}
          b: {children: {shared: }}
      """)
    #expect(
      inventory.graph() == """
        @all:
          |--@ungrouped:
          |--@a:
          |  |--@shared:
          |  |  |--h1
          |--@b:
          |  |--@shared:
          |  |  |--h1
        """)
  }
}

import DeployKit
print("deploy")

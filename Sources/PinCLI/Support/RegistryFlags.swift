import ArgumentParser
import PinWorkspace

/// How commands that reach an OCI registry (`push oci://…`, `pull oci://…`, `--mirror oci://…`)
/// may talk to it. Credentials are not options: they come from the docker config or
/// MODELPIN_REGISTRY_USER/PASSWORD, never from a command line other users can read.
struct RegistryFlags: ParsableArguments {
    @Flag(help: "Talk to OCI registries over plain http: allowed for registries on this machine (127.0.0.0/8, ::1, localhost), as in tests and labs.")
    var plainHttp = false

    @Flag(help: "With --plain-http: also for a registry on another host. Everything, credentials and tokens included, then crosses the network unencrypted; modelpin warns on every use.")
    var allowInsecureRegistry = false

    func validate() throws {
        if allowInsecureRegistry, !plainHttp {
            throw ValidationError("--allow-insecure-registry only widens --plain-http; pass both, or neither")
        }
    }

    func applied(to configuration: WorkspaceConfiguration) -> WorkspaceConfiguration {
        var configuration = configuration
        apply(to: &configuration)
        return configuration
    }

    func apply(to configuration: inout WorkspaceConfiguration) {
        configuration.registryPlainHTTP = plainHttp
        configuration.allowInsecureRegistry = allowInsecureRegistry
    }
}

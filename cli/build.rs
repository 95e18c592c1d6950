//! Generates the control plane's gRPC code from `proto/condenser/v1/control.proto`, with the
//! `protoc` of the `protoc-bin-vendored` crate so that a fresh machine needs only cargo.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    println!("cargo:rerun-if-changed=proto/condenser/v1/control.proto");
    tonic_prost_build::configure().compile_with_config(
        config,
        &["proto/condenser/v1/control.proto"],
        &["proto"],
    )?;
    Ok(())
}

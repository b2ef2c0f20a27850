"""The local cloud (template.yaml brought up inside moto's server) and the sandbox platforms."""

// Package deploy changes routers safely and checks that their BGP sessions
// came up.
//
// It takes already-rendered configs (Target) and, for each router whose
// config differs from the rendered one, takes the router's change lock,
// applies the config with commit-confirm semantics (native on BIRD, Junos,
// IOS-XR and NETCONF servers, emulated on FRR by restoring the saved
// config), waits until every intended session is Established within its
// max-prefix, and confirms, or rolls back and stops the rollout. Routers
// whose management interface may not report BGP state (the netconf
// platform: VerifyConfig) are verified by reading their configuration
// back, and by their sessions where they do report state. Routers are reached
// through package device; the rollout order, parallelism and the router
// pairs that must never change at once come from policy (Options).
//
// Check reads the same intended sessions without changing anything: the
// `peerform check` command.
//
// Rendering is not done here: the caller passes configs and endpoints, so
// the package is tested against real routers with configs of any origin.
package deploy

// Package nodemanager is the client the application master starts, stops
// and queries containers with: YARN's ContainerManagementProtocol over
// Hadoop IPC, authenticated with the NMToken the ResourceManager gave the
// application master for that node (rolled tokens switch with SetToken).
//
// A Client talks to one NodeManager and connects on its first call. Every
// call returns within its context's deadline (or the call timeout when it
// has none); errors name the container and the NodeManager, and a request
// the NodeManager refused matches ErrContainerRefused, with its exception
// in the message.
package nodemanager

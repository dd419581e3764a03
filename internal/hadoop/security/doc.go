// Package security is the one place that decides how gostream's Hadoop
// connections authenticate and whom they act as (the part of Hadoop's
// UserGroupInformation gostream needs):
//
//	connection                              method
//	client → ResourceManager (client port)  the process's Login: simple, the user named in the connection context
//	client → HDFS (NameNodes, DataNodes)    the process's Login: simple, the user named in each request
//	AM → ResourceManager (scheduler port)   Token: the AMRMToken, on every cluster (the port refuses "none")
//	AM → NodeManagers                       Token: each NodeManager's NMToken
//
// The user is HADOOP_USER_NAME, else the OS user (CurrentUser).
//
// Kerberos is not supported yet. A configuration asking for it — a site
// file with hadoop.security.authentication=kerberos (NewLogin), or a keytab
// login, gostream.kerberos.principal and gostream.kerberos.keytab
// (CheckKeytab) — fails with ErrKerberosUnsupported before any connection is
// made, rather than being ignored. Kerberos plugs in here: a Login whose
// Auth is a GSSAPI ipc.Authenticator (gokrb5) for IPC, and a Kerberos client
// for HDFS.
package security

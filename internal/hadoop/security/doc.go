// Package security is the one place that decides how gostream's Hadoop
// connections authenticate and whom they act as (the part of Hadoop's
// UserGroupInformation gostream needs):
//
//	connection                              method
//	client → ResourceManager (client port)  the process's Login: simple (the user named in the connection context) or Kerberos (SASL GSSAPI)
//	client → HDFS (NameNodes, DataNodes)    the process's Login: simple (the user named in each request) or Kerberos (colinmarc/hdfs)
//	AM → ResourceManager (scheduler port)   Token: the AMRMToken, on every cluster (the port refuses "none")
//	AM → NodeManagers                       Token: each NodeManager's NMToken
//
// With simple authentication the user is HADOOP_USER_NAME, else the OS user
// (CurrentUser). On a kerberized cluster (hadoop.security.authentication=
// kerberos) NewLogin logs in to Kerberos with Credentials (a principal and
// its keytab) or from the ticket cache, and the user is the principal's
// short name. Delegation tokens are not obtained yet, so an application
// cannot be submitted to a kerberized YARN.
package security

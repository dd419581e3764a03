package hadoopconf

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// YARN keys and the defaults of yarn-default.xml that gostream relies on.
const (
	KeyRMHostname          = "yarn.resourcemanager.hostname"
	KeyRMAddress           = "yarn.resourcemanager.address"
	KeyRMSchedulerAddress  = "yarn.resourcemanager.scheduler.address"
	KeyRMWebappAddress     = "yarn.resourcemanager.webapp.address"
	KeyRMHAEnabled         = "yarn.resourcemanager.ha.enabled"
	KeyRMHAIDs             = "yarn.resourcemanager.ha.rm-ids"
	KeyAMMaxAttempts       = "yarn.resourcemanager.am.max-attempts"
	KeySecurityAuthn       = "hadoop.security.authentication"
	DefaultRMHostname      = "0.0.0.0"
	DefaultRMPort          = 8032
	DefaultRMSchedulerPort = 8030
	DefaultRMWebappPort    = 8088
	DefaultAMMaxAttempts   = 2
)

// RMAddresses returns the ResourceManager client RPC addresses
// (ApplicationClientProtocol): one, or one per RM id when RM HA is enabled.
func (c *Conf) RMAddresses() ([]string, error) {
	return c.rmAddresses(KeyRMAddress, DefaultRMPort)
}

// RMSchedulerAddresses returns the ResourceManager scheduler addresses
// (ApplicationMasterProtocol).
func (c *Conf) RMSchedulerAddresses() ([]string, error) {
	return c.rmAddresses(KeyRMSchedulerAddress, DefaultRMSchedulerPort)
}

// RMWebappAddress returns the ResourceManager's web address (the first RM's
// under HA).
func (c *Conf) RMWebappAddress() (string, error) {
	addrs, err := c.rmAddresses(KeyRMWebappAddress, DefaultRMWebappPort)
	if err != nil {
		return "", err
	}
	return addrs[0], nil
}

// rmAddresses resolves key as Hadoop does: key (or key.ID under HA); when
// unset, the RM host name (yarn.resourcemanager.hostname[.ID]) and the
// default port.
func (c *Conf) rmAddresses(key string, port int) ([]string, error) {
	ha, err := c.Bool(KeyRMHAEnabled, false)
	if err != nil {
		return nil, err
	}
	if !ha {
		a, err := c.rmAddress(key, KeyRMHostname, port)
		if err != nil {
			return nil, err
		}
		return []string{a}, nil
	}
	ids, _ := c.Get(KeyRMHAIDs)
	var addrs []string
	for _, id := range strings.Split(ids, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		a, err := c.rmAddress(key+"."+id, KeyRMHostname+"."+id, port)
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s is true but %s lists no ResourceManagers in %s (%w)", KeyRMHAEnabled, KeyRMHAIDs, c.Describe(), ErrConfig)
	}
	return addrs, nil
}

func (c *Conf) rmAddress(key, hostKey string, port int) (string, error) {
	v, ok := c.Get(key)
	if !ok {
		host := c.String(hostKey, c.String(KeyRMHostname, DefaultRMHostname))
		return net.JoinHostPort(host, strconv.Itoa(port)), nil
	}
	host, p, err := net.SplitHostPort(v)
	if err != nil {
		// host without a port
		if strings.Contains(v, ":") && !strings.HasPrefix(v, "[") {
			return "", fmt.Errorf("%s=%q in %s: %v (%w)", key, v, c.Describe(), err, ErrConfig)
		}
		return net.JoinHostPort(strings.Trim(v, "[]"), strconv.Itoa(port)), nil
	}
	if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
		return "", fmt.Errorf("%s=%q in %s: bad port (%w)", key, v, c.Describe(), ErrConfig)
	}
	return net.JoinHostPort(host, p), nil
}

// AMMaxAttempts is yarn.resourcemanager.am.max-attempts: the cap the RM puts
// on every application's maxAppAttempts.
func (c *Conf) AMMaxAttempts() (int, error) {
	n, err := c.Int(KeyAMMaxAttempts, DefaultAMMaxAttempts)
	if err != nil {
		return 0, err
	}
	if n < 1 {
		return 0, fmt.Errorf("%s=%d in %s must be at least 1 (%w)", KeyAMMaxAttempts, n, c.Describe(), ErrConfig)
	}
	return n, nil
}

// EffectiveMaxAttempts is the number of attempts the RM allows an
// application that asks for requested (≤ 0: the RM's own number): the RM
// caps every request at AMMaxAttempts.
func (c *Conf) EffectiveMaxAttempts(requested int) (int, error) {
	rmMax, err := c.AMMaxAttempts()
	if err != nil {
		return 0, err
	}
	if requested <= 0 || requested > rmMax {
		return rmMax, nil
	}
	return requested, nil
}

// Kerberos reports whether hadoop.security.authentication is kerberos.
func (c *Conf) Kerberos() bool {
	return strings.EqualFold(c.String(KeySecurityAuthn, "simple"), "kerberos")
}

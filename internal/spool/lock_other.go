//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package spool

// defaultLocker is the lease file where flock is not available.
func defaultLocker() locker { return leaser{ttl: LeaseTTL, refresh: LeaseTTL / 4} }

"""What every page shares: home, health check, error pages and security headers."""

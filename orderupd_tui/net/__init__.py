"""The HTTP layer every remote API shares: retries, deadlines, auth, secret-free errors."""

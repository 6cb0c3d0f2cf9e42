"""Ad platforms behind one narrow port: the product's types and errors, shared HTTP, rate limiting and retries, and
one adapter per platform (Google Ads REST, Meta Marketing API, TikTok API for Business)."""

"""Every query lives in a repository; services never see SQL."""

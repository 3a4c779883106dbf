"""reelgate provider plugin for Alibaba Wan on DashScope (Model Studio)."""

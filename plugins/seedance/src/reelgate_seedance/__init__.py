"""reelgate provider plugin for ByteDance Seedance on BytePlus ModelArk."""

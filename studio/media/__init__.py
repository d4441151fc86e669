"""Bytes and ffmpeg, knowing no episode: the one ffmpeg runner and the probe (ffmpeg), loudness analysis,
the gain planner and both renditions from one decode (loudness), and the WAV chunks a broadcast file
carries: the RIFF/RF64 walk (riff), bext (bwf) and cart (cart)."""

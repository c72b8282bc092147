"""Early warning and weekly digests for forums and working groups.

Pure logic (settings, spike detection, who is told, SMS texts, digest figures) beside `run`,
which reads counts through gateway.store.trends and queues the messages.
"""

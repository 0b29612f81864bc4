"""Process plumbing shared by every job: file locks between the processes of one data
directory, disk-full detection, and worker processes that die with their job.

Imports only the standard library and ``schemas``.
"""

"""basinlab.train"""

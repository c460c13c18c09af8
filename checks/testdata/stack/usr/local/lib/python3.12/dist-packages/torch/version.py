__version__ = '2.6.0+cu124'
debug = False
cuda: Optional[str] = '12.4'
git_version = 'fixture'
hip: Optional[str] = None
